import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import { compileTemplate, escapeHtml, renderView, useViews } from '../../server/templates.ts';

/**
 * Templates compile without `with` (server/templates.ts): each reads its locals from variables declared at its top.
 * Every page and email must still compile, and read exactly what it read before: locals, its own declarations, a
 * partial's own locals, and a local nobody passed.
 */
describe('templates: compiled without `with`', () => {
  const views = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');
  let scratch: string;

  beforeEach(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'pathways-templates-'));
  });
  afterEach(() => {
    rmSync(scratch, { recursive: true, force: true });
    // The app's own views again, for the tests after these (the cache is the process's).
    useViews(views, { reloadEdits: false });
  });

  it('every template under views/ compiles, pages and emails alike', () => {
    const files = readdirSync(views, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ejs'));
    expect(files.length).to.be.greaterThan(100);
    for (const file of files) {
      const filename = path.join(views, file);
      expect(() => compileTemplate(readFileSync(filename, 'utf8'), { filename, root: views }), file).not.to.throw();
    }
  });

  it('reads its locals, its own declarations, a partial’s locals and a local nobody passed, as before', () => {
    writeFileSync(
      path.join(scratch, 'page.ejs'),
      [
        '<%= label %><% var label = "own" %><%= label %>',
        '<%= title %>',
        '<% for (const r of rows) { %><%= r.name %>;<% } %>',
        '<%- include("/part", { extra: "x" }) %>',
        '<%= locals.missing ?? "none" %>',
        '<%= typeof notPassed %>',
        '<%= Math.max(1, 2) %>',
        '<%= [...tags, "c"].join() %>',
        // A name a test runner puts on the global object is still a local here.
        '<%= it %>',
      ].join('|'),
    );
    // The partial declares at its top a name its parent's list holds, and reads one its parent never mentions.
    writeFileSync(path.join(scratch, 'part.ejs'), '<% const label = "part" %><%= label %>-<%= extra %>-<%= title %>');
    useViews(scratch, { reloadEdits: false });
    const html = renderView(path.join(scratch, 'page.ejs'), {
      title: 'T & co',
      label: 'passed',
      rows: [{ name: 'Ada' }, { name: 'Grace' }],
      tags: ['a', 'b'],
      it: 'local it',
    });
    expect(html).to.equal('passedown|T &amp; co|Ada;Grace;|part-x-T &amp; co|none|undefined|2|a,b,c|local it');
  });

  it('a name a template assigns without declaring it stays inside that render: no global is written', () => {
    writeFileSync(path.join(scratch, 'leak.ejs'), '<% leaked = 1 %><%= leaked %>');
    useViews(scratch, { reloadEdits: false });
    expect(renderView(path.join(scratch, 'leak.ejs'), {})).to.equal('1');
    expect(globalThis).not.to.have.property('leaked');
  });

  it('escapes as EJS does, character for character', () => {
    const values = [
      'Mary O\'Brien & Co <Ltd> "Trust"',
      '&amp; already',
      'plain text',
      '',
      0,
      42,
      false,
      null,
      undefined,
      { toString: () => '<b>' },
      ['a<', 'b>'],
      'ثم سألوا عن "القيادة"',
    ];
    for (const value of values) expect(escapeHtml(value), String(value)).to.equal(ejs.escapeXML(value as string));
  });

  it('in development an edited template is compiled again; otherwise once', () => {
    const file = path.join(scratch, 'edited.ejs');
    writeFileSync(file, 'first <%= n %>');
    useViews(scratch, { reloadEdits: true });
    expect(renderView(file, { n: 1 })).to.equal('first 1');
    writeFileSync(file, 'second <%= n %>');
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(renderView(file, { n: 2 })).to.equal('second 2');

    useViews(scratch, { reloadEdits: false });
    expect(renderView(file, { n: 3 })).to.equal('second 3');
    writeFileSync(file, 'third <%= n %>');
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    expect(renderView(file, { n: 4 })).to.equal('second 4');
  });
});
