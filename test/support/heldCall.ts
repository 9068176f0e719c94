/**
 * Race tests: the next matching call of a model's static method (findOne, findById, updateOne, …) does its work and
 * then waits until `release()`, the way a slow process holds what it read while another process writes. `reached`
 * resolves once it waits; `restore()` puts the model back (the held call keeps waiting until `release()`; call both
 * in `finally`).
 *
 * `lean: true` is for calls the code under test chains as `Model.findById(id).lean()`: the held call answers that
 * chain. `when` picks which call to hold (by its arguments); the first matching call is held, later ones pass.
 * `before: true` waits before the call does its work instead (a write that lands late).
 */
export function holdNextCall(
  model: object,
  method: string,
  options: { lean?: boolean; when?: (args: unknown[]) => boolean; before?: boolean } = {},
): { reached: Promise<void>; release: () => void; restore: () => void } {
  const statics = model as Record<string, unknown>;
  const hadOwn = Object.prototype.hasOwnProperty.call(statics, method);
  const original = statics[method];
  const call = (original as (...args: unknown[]) => unknown).bind(model);
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  const hold = async <T>(work: () => T | Promise<T>): Promise<T> => {
    if (options.before) {
      reach();
      await gate;
      return work();
    }
    const result = await work();
    reach();
    await gate;
    return result;
  };
  statics[method] = (...args: unknown[]) => {
    if (held || (options.when && !options.when(args))) return call(...args);
    held = true;
    if (options.lean) return { lean: () => hold(() => (call(...args) as { lean: () => Promise<unknown> }).lean()) };
    return hold(() => call(...args) as Promise<unknown>);
  };
  const restore = () => {
    if (hadOwn) statics[method] = original;
    else delete statics[method];
  };
  return { reached, release, restore };
}
