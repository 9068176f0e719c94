import { expect } from 'chai';
import { ProgrammeModel } from '../../models/Programme.ts';
import { onDomainEvent } from '../../server/events.ts';
import { outlineChanged } from '../../server/services/learning/outline.ts';
import { setModuleArchived } from '../../server/services/learning/programmes.ts';
import { asActor } from '../support/boardsFactories.ts';
import { useTestDatabase } from '../support/db.ts';
import { buildUser } from '../support/factories.ts';
import { buildModule, buildProgramme } from '../support/learningFactories.ts';

/** While set, a reaction to an archive fails (the author is answered 500). */
let reactionFails = false;
onDomainEvent('module.archived', async () => {
  if (reactionFails) throw new Error('a reaction failed');
});

describe('learning: the outline learners read follows an archive even when a reaction to it fails', () => {
  useTestDatabase();

  it('the archived module is no longer a current one in the outline, though the archive answered with an error', async () => {
    const programme = await buildProgramme();
    const [kept, retired] = [await buildModule(programme.id), await buildModule(programme.id)];
    await outlineChanged(programme.id);
    const admin = await buildUser({ roles: ['admin'] });
    reactionFails = true;
    try {
      const failed = await setModuleArchived({ actor: asActor(admin), moduleId: retired.id, archived: true }).catch(
        (error: unknown) => error,
      );
      expect(failed).to.be.instanceOf(Error);
    } finally {
      reactionFails = false;
    }
    const outline = (await ProgrammeModel.findById(programme.id).lean())!.outline!;
    const entry = (id: string) => outline.find((m) => String(m._id) === id);
    expect(entry(retired.id)).to.include({ archived: true });
    expect(entry(kept.id)).to.include({ archived: false });
  });
});
