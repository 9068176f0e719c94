import type EjsModule from 'ejs';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';

/**
 * The one place Pathways compiles EJS templates: pages (server/app.ts, through `renderView`) and emails
 * (server/emails.ts, through a `TemplateCache` of their own).
 *
 * By default EJS runs a template inside `with (locals) { … }`. V8 cannot cache a name looked up through `with`, so
 * every name a template reads (`r`, `fmt`, and EJS's own `__append` for each piece of output) walks the scope the slow
 * way. Measured on the session register (30 rows): 360–430 µs a render with `with`, 110–140 µs without, a tenth of
 * that page's CPU under load. So each template is compiled in strict mode, which has no `with`, and reads its locals
 * from variables EJS declares at its top (`destructuredLocals`): every identifier the template's code mentions,
 * except EJS's own names, JavaScript's words and its globals (a name that turns out to be a property key or a word in
 * a string costs one `undefined` read a render). A name the template declares with `let` or `const` outside any
 * block would be declared twice, so it is left out of the list and the template's own declaration serves (under
 * `with`, reading it before that line was an error too).
 *
 * The CommonJS build of EJS is loaded, whatever the importer: it declares those variables with `var`, so a
 * template's own `var tableCaption = …` stays legal and, like under `with`, anything it reads before that line is
 * still the local. (The ES module build declares them with `let`; which build an `import` gets depends on the loader.)
 *
 * Partials: EJS's own `include` compiles its partial with its parent's options, so the list would be the parent's; and
 * it copies every local three times for each partial (the page's locals into a new object, that with the partial's
 * own, and that again as the partial starts), and its options once more: 4% of a signed-in page's CPU under load, for
 * a page of form fields. So templates are rendered through a `TemplateCache`, which hands each template an `include`
 * of its own, as a local (`include` is one of the names each template reads from its locals): the partial comes from
 * the same cache, compiled with its own list, and reads an object whose own properties are what the include passed
 * and whose prototype is its parent's locals, which EJS is told to read as they are (`unsafePrototypeLocals`). It
 * reads what EJS's copy held; a name neither passed reads `undefined`, since a page's locals are copied once, as EJS
 * did, into an object without a prototype.
 */

const ejs = createRequire(import.meta.url)('ejs') as typeof EjsModule;

/** Names a template reads that are not its locals: EJS's own, and the ones its compiled function declares. * (`include` is not one of them: a template reads it from its locals, see above.)
 */
const ejsOwnNames = new Set([
  'locals',
  'escapeFn',
  'rethrow',
  '__append',
  '__output',
  '__line',
  '__lines',
  '__filename',
  '__locals',
]);

/**
 * JavaScript's own globals (read from a fresh realm, so not whatever else this process has put on its global object,
 * such as a test runner's `it` or `before`) and the few of Node's that a template may use.
 */
const globalNames = new Set([
  ...Object.getOwnPropertyNames(runInNewContext('globalThis')),
  ...['Buffer', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'structuredClone', 'atob', 'btoa', 'console'],
]);

const htmlEntities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };
const htmlSpecial = /[&<>'"]/;
const htmlSpecials = /[&<>'"]/g;

/**
 * What `<%= %>` writes: EJS's own escaping, character for character, with a first look for anything to escape, since
 * most values (ids, names, dates) hold none: half the time of EJS's, which was 3% of the register page's CPU.
 */
export function escapeHtml(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return htmlSpecial.test(text) ? text.replace(htmlSpecials, (c) => htmlEntities[c]!) : text;
}

/** Compiles one template without `with` (see above). `options` are EJS's, `filename` included. */
export function compileTemplate(
  source: string,
  options: Omit<EjsModule.Options, 'async' | 'client'> & { filename: string },
): EjsModule.TemplateFunction {
  const names = localNamesIn(source);
  for (;;) {
    try {
      // `unsafePrototypeLocals` (EJS reads the locals it is given, uncopied) is one of EJS's options its types omit.
      const ejsOptions: EjsModule.Options & { async: false; unsafePrototypeLocals: boolean } = {
        escape: escapeHtml,
        ...options,
        strict: true,
        destructuredLocals: [...names, 'include'],
        // The locals are TemplateCache's: a page's copied once, a partial's its own over its parent's (see above).
        unsafePrototypeLocals: true,
        async: false,
      };
      return ejs.compile(source, ejsOptions) as EjsModule.TemplateFunction;
    } catch (error) {
      // A name the template declares with `let` or `const` outside any block (`const links = …`).
      const declared = /Identifier '([\w$]+)' has already been declared/.exec((error as Error).message)?.[1];
      if (!declared || !names.delete(declared)) throw error;
    }
  }
}

/** The code of a template: what its `<% %>` tags hold, comments and literal `<%%` left out. */
function templateCode(source: string): string[] {
  return [...source.matchAll(/<%(?![%#])[=_-]?([\s\S]*?)[_-]?%>/g)].map((m) => m[1]!);
}

/** An identifier not after a lone dot (a property), but after a spread's three. */
const identifier = /(?<![\w$])(?<!(?:^|[^.])\.)[A-Za-z_$][\w$]*/g;

/** Every identifier the template's code mentions that could be a local (`r.name` gives `r`, `...rows` gives `rows`). */
function localNamesIn(source: string): Set<string> {
  const names = new Set<string>();
  for (const code of templateCode(source)) {
    for (const [name] of code.matchAll(identifier)) {
      if (!ejsOwnNames.has(name) && !globalNames.has(name) && isVariableName(name)) names.add(name);
    }
  }
  return names;
}

const variableNames = new Map<string, boolean>();

/** A word strict JavaScript accepts as a variable's name (`of` is one, `if` and `let` are not). */
function isVariableName(name: string): boolean {
  let ok = variableNames.get(name);
  if (ok === undefined) {
    try {
      new Function(`"use strict"; var ${name};`);
      ok = true;
    } catch {
      ok = false;
    }
    variableNames.set(name, ok);
  }
  return ok;
}

type Render = (locals: object) => string;
type Compiled = { render: Render; modifiedMs: number };

type CompileOptions = Omit<EjsModule.Options, 'async' | 'client' | 'filename'>;

/**
 * The templates of one folder, each compiled once with its own names (pages and their partials; the emails).
 * `views` is the folder `/partials/…` includes resolve against; while `reloadEdits()` (development) a file edited
 * since it was compiled is compiled again; `optionsFor` adds EJS options by file (an email's plain-text escaping).
 */
export class TemplateCache {
  private readonly compiled = new Map<string, Compiled>();
  /** Each include's file, by the including file and the path it names. */
  private readonly includePaths = new Map<string, string>();
  constructor(
    private readonly props: {
      views: string;
      reloadEdits: () => boolean;
      optionsFor?: (filename: string) => CompileOptions;
    },
  ) {}

  /** The template in `filename`, to render with its locals (copied once, into an object without a prototype). */
  get(filename: string): Render {
    const render = this.template(filename);
    return (locals) => render(Object.assign(Object.create(null) as object, locals));
  }

  /** The template in `filename`, rendering the locals it is given as they are, with its own `include` among them. */
  private template(filename: string): Render {
    const known = this.compiled.get(filename);
    const modifiedMs = this.props.reloadEdits() ? statSync(filename).mtimeMs : 0;
    if (known && known.modifiedMs === modifiedMs) return known.render;
    const fn = compileTemplate(readFileSync(filename, 'utf8').replace(/^\uFEFF/, ''), {
      ...this.props.optionsFor?.(filename),
      filename,
      root: this.props.views,
    });
    const render: Render = (locals) => {
      const include = (path: string, data?: object) => {
        // The partial's own locals over its parent's, which it reads through the prototype: nothing is copied.
        const own = Object.create(locals) as object;
        if (data) Object.assign(own, data);
        return this.template(this.includePath(filename, path))(own);
      };
      (locals as { include?: typeof include }).include = include;
      return fn(locals) as string;
    };
    this.compiled.set(filename, { render, modifiedMs });
    return render;
  }

  /** As EJS resolves it: `/partials/x` under the views folder, `x` beside the including file; `.ejs` if no extension. */
  private includePath(from: string, path: string): string {
    const key = `${from}\n${path}`;
    let resolved = this.includePaths.get(key);
    if (resolved === undefined) {
      resolved = path.startsWith('/')
        ? ejs.resolveInclude(path.replace(/^\/*/, ''), this.props.views, true)
        : ejs.resolveInclude(path, from);
      this.includePaths.set(key, resolved);
    }
    return resolved;
  }
}

let templateCache: TemplateCache | undefined;

/**
 * Makes `renderView`, and the includes of what it renders, use a new cache of the templates under `views`. Each app
 * built calls it (tests build several, on the same views); the last call serves.
 */
export function useViews(views: string, options: { reloadEdits: boolean }): void {
  templateCache = new TemplateCache({ views, reloadEdits: () => options.reloadEdits });
}

/** Renders a page's template file with its locals (Express's merged app, response and render locals). */
export function renderView(filename: string, locals: object): string {
  if (!templateCache) throw new Error('useViews was not called');
  return templateCache.get(filename)(locals);
}
