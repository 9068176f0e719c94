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

  it('removes a javascript: link hidden by a character reference, and a reference definition pointing at one, from the stored Markdown', () => {
    const body = sanitizeMarkdown(
      '[a](&#106;avascript:alert(1)) and [b](&#x6A;avascript&colon;alert(2)) and [r][x] and [ok](guide?a=1&b=2)\n\n[x]: javascript:alert(3)\n[y]: https://example.org/fine',
    );
    expect(body).to.not.match(/avascript/i);
    expect(body).to.include('[ok](guide?a=1&b=2)').and.include('[y]: https://example.org/fine');
    expect(renderMarkdown(body)).to.not.match(/javascript|href="&/i);
  });

  it('does not let removed pieces join into a new tag', () => {
    const body = sanitizeMarkdown('<scr<script></script>ipt>alert(1)</script> <img src=x onerror=alert(1)>');
    expect(renderMarkdown(body)).to.not.match(/<script|onerror/i);
    expect(body).to.not.match(/onerror|<script/i);
  });

  it('loads no image from elsewhere, and loses none: an image is a link to it named by its description', () => {
    expect(renderMarkdown('See ![Our school team photo](https://example.org/team.jpg) here')).to.equal(
      '<p>See <a href="https://example.org/team.jpg" rel="noopener noreferrer">Image: Our school team photo</a> here</p>\n',
    );
    expect(renderMarkdown('![](https://example.org/a.png)')).to.include('>Image</a>');
    expect(renderMarkdown('![x](javascript:alert(1))')).not.to.include('javascript:').and.not.include('<img');
    // Written as HTML, saved and shown: the link holds the image's words only, not the rest of the paragraph.
    const typed = 'Before <img src="https://example.org/a.png" alt="A chart"> after the image.';
    const link = '<a href="https://example.org/a.png" rel="noopener noreferrer">Image: A chart</a>';
    expect(sanitizeMarkdown(typed)).to.equal(`Before ${link} after the image.`);
    expect(renderMarkdown(sanitizeMarkdown(typed))).to.equal(`<p>Before ${link} after the image.</p>\n`);
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

  it('keeps a passage marked in another language on save and on render: lang as a language tag, dir as ltr, rtl or auto (WCAG 3.1.2)', () => {
    const body = sanitizeMarkdown(
      'In Welsh: <span lang="CY">Croeso i Gymru</span>.\n\n<p lang="fr-ca" dir="LTR">Bonjour</p>\n\n<q lang="ar" dir="rtl">مرحبا</q>',
    );
    expect(body).to.equal(
      'In Welsh: <span lang="cy">Croeso i Gymru</span>.\n\n<p lang="fr-CA" dir="ltr">Bonjour</p>\n\n<q lang="ar" dir="rtl">مرحبا</q>',
    );
    expect(renderMarkdown(body)).to.equal(
      '<p>In Welsh: <span lang="cy">Croeso i Gymru</span>.</p>\n<p lang="fr-CA" dir="ltr">Bonjour</p><p><q lang="ar" dir="rtl">مرحبا</q></p>\n',
    );
    expect(renderMarkdown('<div lang="zh-hant" dir="auto">\n\n**繁體**\n\n</div>', { topLevel: 3 })).to.equal(
      '<div lang="zh-Hant" dir="auto"><p><strong>繁體</strong></p>\n</div>',
    );
  });

  it('drops a lang that is no language tag and a dir that is no direction, keeping the passage, on save and on render', () => {
    const typed =
      '<span lang="en_GB" dir="sideways">one</span> <span lang="" dir="">two</span> <em lang="x-foo">three</em> <i lang="welsh">four</i>';
    const body = sanitizeMarkdown(typed);
    expect(body).to.equal('<span>one</span> <span>two</span> <em>three</em> <i>four</i>');
    expect(renderMarkdown(typed)).to.equal('<p><span>one</span> <span>two</span> <em>three</em> <i>four</i></p>\n');
    expect(renderMarkdown('<b lang=\'cy" onclick="x()\'>bold</b>')).to.equal('<p><b>bold</b></p>\n');
  });

  it('renders a body again the same way, and an edited body as edited (rendering is remembered by its source)', () => {
    const body = 'A story with <b onclick="x()">bold</b> text.';
    const first = renderMarkdown(body);
    expect(renderMarkdown(body)).to.equal(first);
    expect(first).to.equal('<p>A story with <b>bold</b> text.</p>\n');
    expect(renderMarkdown(`${body} Edited.`)).to.equal('<p>A story with <b>bold</b> text. Edited.</p>\n');
  });

  it('fits a body whose first heading is ### under the page: it becomes h2 and its deeper headings keep their depth', () => {
    const html = renderMarkdown('### Before you start\n\nText.\n\n#### A detail\n\n### Then', { topLevel: 2 });
    expect(html).to.include('<h2>Before you start</h2>');
    expect(html).to.include('<h3>A detail</h3>');
    expect(html).to.include('<h2>Then</h2>');
    expect(html).to.not.match(/<h[145]/);
  });

  it('fits a body whose first heading is # under the page, capping the deepest headings at h6', () => {
    const html = renderMarkdown('# Title\n\n## Part\n\n###### Small print\n\n<h5>Raw</h5>', { topLevel: 2 });
    expect(html).to.include('<h2>Title</h2>');
    expect(html).to.include('<h3>Part</h3>');
    expect(html).to.include('<h6>Small print</h6>');
    expect(html).to.include('<h6>Raw</h6>');
    expect(html).to.not.match(/<h1|<h7/);
  });

  it('fits a body under a section heading (a preview under its h2) and leaves "<h" typed as text alone', () => {
    const html = renderMarkdown('## Fresh\n\nType `<h1>` or <h2 to start a heading.', { topLevel: 3 });
    expect(html).to.include('<h3>Fresh</h3>');
    expect(html).to.include('<code>&lt;h1&gt;</code>');
    expect(html).to.include('&lt;h2 to start');
  });

  it('remembers each heading level apart: the same source rendered at another level is not answered from the cache', () => {
    const body = '### Remembered apart';
    expect(renderMarkdown(body)).to.equal('<h4>Remembered apart</h4>\n');
    expect(renderMarkdown(body, { topLevel: 2 })).to.equal('<h2>Remembered apart</h2>\n');
    expect(renderMarkdown(body, { topLevel: 3 })).to.equal('<h3>Remembered apart</h3>\n');
    expect(renderMarkdown(body)).to.equal('<h4>Remembered apart</h4>\n');
  });
});
