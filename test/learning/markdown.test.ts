import { expect } from 'chai';
import { renderMarkdown, sanitizeMarkdown } from '../../server/services/learning/markdown.ts';

describe('learning: module text is sanitised on save and on render', () => {
  it('removes script blocks, event handlers and javascript: links from the stored Markdown, keeping the rest as typed', () => {
    const body = sanitizeMarkdown(
      'Hello <b onclick="steal()">bold</b> & welcome > all.\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) and [safe](https://example.org)\n\n> a quote',
    );
    expect(body).to.not.match(/script|onclick|javascript:/i);
    expect(body).to.include('<b>bold</b> & welcome > all.');
    expect(body).to.include('[safe](https://example.org)');
    expect(body).to.include('> a quote');
  });

  it('does not let removed pieces join into a new tag', () => {
    const body = sanitizeMarkdown('<scr<script></script>ipt>alert(1)</script> <img src=x onerror=alert(1)>');
    expect(renderMarkdown(body)).to.not.match(/<script|onerror/i);
    expect(body).to.not.match(/onerror|<script/i);
  });

  it('renders links safely: rel="noopener noreferrer", no author target, headings start at h2', () => {
    const html = renderMarkdown(
      '# Title\n\n<a href="https://example.org" target="_blank" onmouseover="x()">out</a> [in](/programmes)',
    );
    expect(html).to.include('<h2>Title</h2>');
    expect(html).to.include('<a href="https://example.org" rel="noopener noreferrer">out</a>');
    expect(html).to.include('<a href="/programmes" rel="noopener noreferrer">in</a>');
    expect(html).to.not.match(/target=|onmouseover/);
  });

  it('neutralises unsafe links even when Markdown that was never sanitised is rendered', () => {
    expect(renderMarkdown('[x](javascript:alert(1)) <iframe src="https://evil.example"></iframe>')).to.not.match(
      /javascript:|iframe/,
    );
  });

  it('renders a body again the same way, and an edited body as edited (rendering is remembered by its source)', () => {
    const body = 'A story with <b onclick="x()">bold</b> text.';
    const first = renderMarkdown(body);
    expect(renderMarkdown(body)).to.equal(first);
    expect(first).to.equal('<p>A story with <b>bold</b> text.</p>\n');
    expect(renderMarkdown(`${body} Edited.`)).to.equal('<p>A story with <b>bold</b> text. Edited.</p>\n');
  });
});
