import { expect } from 'chai';
import { z } from 'zod';
import { fieldErrorsFrom } from '../../server/http/validate.ts';

/** The message a value gets from a schema that sets none of its own. */
const messageFor = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  if (result.success) throw new Error('expected a refusal');
  return fieldErrorsFrom(result.error)[0]!.message;
};

describe('server: zod messages in plain words', () => {
  it('says what is wrong in words that read after a field label, for the checks schemas leave unworded', () => {
    expect(messageFor(z.coerce.number(), 'an hour')).to.equal('must be a number');
    expect(messageFor(z.number().int(), 1.5)).to.equal('must be a whole number');
    expect(messageFor(z.string(), undefined)).to.equal('is required');
    expect(messageFor(z.string(), ['a'])).to.equal('must be text');
    expect(messageFor(z.string().min(1), '')).to.equal('is required');
    expect(messageFor(z.string().min(8), 'short')).to.equal('must have at least 8 characters');
    expect(messageFor(z.string().max(3), 'long')).to.equal('must have at most 3 characters');
    expect(messageFor(z.number().min(5), 1)).to.equal('must be at least 5');
    expect(messageFor(z.number().max(1440), 2000)).to.equal('must be at most 1440');
    expect(messageFor(z.array(z.string()).min(1), [])).to.equal('choose at least one');
    expect(messageFor(z.enum(['online', 'in-person']), 'moon')).to.equal('must be one of: online, in-person');
    expect(messageFor(z.email(), 'nobody')).to.equal('must be an email address like name@example.org');
    expect(messageFor(z.url(), 'nowhere')).to.equal('must be a web address such as https://example.org');
    expect(messageFor(z.iso.date(), '3 May')).to.equal('must be a date as YYYY-MM-DD');
  });

  it('keeps a message a schema sets itself', () => {
    expect(messageFor(z.string().min(1, 'enter a title'), '')).to.equal('enter a title');
    expect(messageFor(z.number({ error: 'give the length in minutes' }), 'x')).to.equal('give the length in minutes');
  });
});
