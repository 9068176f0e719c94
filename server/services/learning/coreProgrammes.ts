import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { ModuleModel } from '../../../models/Module.ts';
import { ProgrammeModel, defaultValidityMonths, type Track } from '../../../models/Programme.ts';
import { isDuplicateKeyError } from '../../db.ts';
import { emitDomainEvent } from '../../events.ts';
import { sanitizeMarkdown } from './markdown.ts';
import type { CompletionRule } from './programmes.ts';
import { showOutline } from './outline.ts';

/**
 * The three programmes every install carries, one per track, with text we wrote for the framework.
 * `ensureCoreProgrammes` creates them when the database has no programme at all (a fresh install or the demo);
 * afterwards admins own them and may edit, reorder or archive like any other.
 */
type CoreModule = {
  title: string;
  minutes: number;
  body: string;
  completion: CompletionRule;
  after?: number[];
  resources?: { title: string; url: string }[];
};
type CoreProgramme = {
  title: string;
  track: Track;
  summary: string;
  modules: CoreModule[];
  /** The interview panels' unconscious-bias training (learning/panelTraining.ts). */
  panelTraining?: true;
};

export const coreProgrammes: CoreProgramme[] = [
  {
    title: 'Fair headteacher recruitment: unconscious bias training for governing boards',
    track: 'governing-board',
    panelTraining: true,
    summary:
      'For governors and trustees who sit on headteacher interview panels. Why capable women are missing from headship, how bias enters each step of recruitment, and a fair process your board can adopt. It ends with a knowledge check; the certificate is valid for three years, after which boards renew it.',
    modules: [
      {
        title: 'Why women are under-represented in headship, and what deters them',
        minutes: 25,
        completion: { type: 'view' },
        body: `Around three quarters of the teachers in our schools are women, yet the share of women falls at every step up the leadership ladder, and it falls furthest in secondary schools and in the largest trusts. The gap is not explained by a shortage of talent or ambition. Deputy and assistant heads who are women are, on every measure we have, as well qualified and as effective as their male colleagues. What differs is who applies, who is encouraged to apply, and who is appointed when they do.

## What holds women back

Research with aspiring women leaders returns to the same handful of reasons, again and again:

- **Workload and flexibility.** Headship is presented as a role that has to be done full time, at any hour, by one person. Women who carry most of the caring at home, for children or for older parents, read that as a closed door. Very few headships are advertised as open to job-share or to flexible patterns, so the door stays closed.
- **Confidence and the "ready" threshold.** Many women wait until they meet every item in a person specification before applying, while others apply when they meet some of them. Encouragement from a head or a governor makes a measurable difference to whether a deputy applies at all.
- **Visible role models.** When every head a deputy has worked for is a man, and every chair of governors she has met is a man, headship looks like a role designed for someone else.
- **Experiences of the process itself.** Women describe interview days where they were asked about childcare, where panels commented on their appearance or their "presence", or where they were told they were "not quite the right fit" without being told what the fit was.

## Why it matters to your board

A board that appoints from a smaller pool appoints less well. Every capable candidate who does not apply, or who is screened out for reasons that have nothing to do with the job, is a loss to the school. Boards also carry duties under the Equality Act 2010 not to discriminate at any stage of recruitment, and to make reasonable adjustments where they are needed.

None of this requires anyone on your panel to hold a prejudice. The patterns above come mostly from habits, shortcuts and assumptions that feel neutral from the inside. The rest of this programme is about recognising those shortcuts and replacing them with a process that gives every candidate the same fair chance.`,
      },
      {
        title: 'How unconscious bias enters adverts, shortlisting, interviews and salary decisions',
        minutes: 30,
        after: [0],
        completion: { type: 'view' },
        body: `Unconscious bias is the set of quick judgements we all make without noticing, based on what we have seen before. It is not a character flaw; it is how busy minds save effort. The trouble is that in recruitment those quick judgements tend to favour whoever most resembles the people who have held the job before.

## In the advert

The words in an advert decide who reads it as meant for them. Phrases such as "a strong, driven, competitive leader", "must thrive under relentless pressure" or "available whenever the school needs you" are read by many women as a description of someone else. Long lists of "essential" criteria deter people who apply only when they meet every one. An advert that says nothing about flexible working is read as saying no.

## At shortlisting

Shortlisting is where most candidates are lost, and where bias is least visible. Common patterns include *affinity bias* (warming to candidates whose career looks like our own), the *halo effect* (one impressive line colouring the whole application), and penalising career breaks or part-time years as if they were gaps in competence. Reading applications before agreeing what you are looking for makes all of these worse, because the criteria quietly shift to fit the candidates you already like.

## In the interview

Unstructured interviews reward confidence, ease and familiarity rather than the skills of the job. Panels tend to ask women more questions about how they will cope and men more questions about what they will achieve. Comments on "presence", "gravitas" or "fit" usually measure how closely a candidate matches a mental picture of a head, not how well she would lead the school. Questions about family, childcare or plans to have children are not only unfair; they expose the board to a claim of discrimination.

## In salary decisions

Where a head's pay is set within a range, bias can enter through negotiation. Women are often judged more harshly than men when they ask for more, and are more likely to be offered the bottom of the range "to leave room to grow". Using a candidate's current salary as the anchor carries any earlier inequality forward into the new post. A documented rule, applied to every appointee, removes most of this.

Knowing these patterns is the first step. The next module turns them into a process.`,
      },
      {
        title: 'A fair process: criteria before candidates, structured interviews, diverse panels, flexible working',
        minutes: 30,
        after: [1],
        completion: { type: 'view' },
        body: `A fair recruitment is not a matter of good intentions on the day. It is a process the board agrees in advance and follows for every candidate. The steps below are simple; their strength comes from doing all of them, every time.

## 1. Criteria before candidates

Before the advert goes out, agree a short list of criteria that genuinely predict success in *this* headship, and for each one write down what evidence would show it. Keep the essential list short. Record the criteria and share them with everyone who will shortlist or interview. Nobody reads an application until this is done.

## 2. An advert that welcomes a wide field

Describe the school and the role in plain, inclusive language. Say that you welcome applications from people who wish to work flexibly or to job-share, and mean it. Name the salary range. Invite candidates to ask for reasonable adjustments. Share the advert through networks that reach women leaders, not only the usual channels.

## 3. Shortlisting against the criteria

Each panel member scores each application against the agreed criteria, on their own, before the panel meets. Where possible, remove names and other personal details from what shortlisters see. Treat career breaks and part-time years as neutral. When the panel meets, discuss differences in scores and the evidence behind them, not overall impressions.

## 4. Structured interviews

Every candidate is asked the same core questions, in the same order, each linked to a criterion. Follow-up questions probe the evidence, not the person. Each panel member scores each answer against the criteria straight after it is given. Tasks and presentations are scored the same way. Nobody asks about family, childcare, age or plans for children.

## 5. A diverse, trained panel

A panel of people with different backgrounds and experience brings more than one picture of what good leadership looks like, and it tells candidates that the board means what its advert says. Every member should have completed this training recently; that is why this certificate expires and is renewed.

## 6. Decision and pay by rule

The decision follows the scores and the evidence, and the reasons are recorded. The starting point on the salary range is set by a documented rule applied to every appointee, not by who negotiated hardest or by her previous salary. Offer feedback to every interviewed candidate.

## 7. Flexible working from the start

If a candidate asks about flexible working, discuss how it could work rather than whether it could. Several schools already run successful co-headships and flexible leadership teams. Treat the request as a design question for the board, not as a mark against the candidate.

Before the knowledge check, take a moment to compare these steps with how your board recruited last time.`,
        resources: [
          {
            title: 'Equality and Human Rights Commission: employment guidance',
            url: 'https://www.equalityhumanrights.com/guidance/business',
          },
        ],
      },
      {
        title: 'Knowledge check: fair headteacher recruitment',
        minutes: 15,
        after: [0, 1, 2],
        completion: {
          type: 'quiz',
          passMark: 80,
          questions: [
            {
              prompt: 'What should the panel do before anyone reads an application?',
              choices: [
                'Read a few applications to see what the field looks like',
                'Agree the criteria and the evidence that would show each one',
                'Ask the outgoing head who would be a good fit',
              ],
              correct: [1],
            },
            {
              prompt:
                'Which of these advert phrases are likely to deter capable women from applying? Choose all that apply.',
              choices: [
                '“We want a dominant, competitive leader”',
                '“Must be available whenever the school needs you”',
                '“We welcome applications from people who wish to work flexibly or job-share”',
              ],
              correct: [0, 1],
            },
            {
              prompt: 'What makes an interview structured?',
              choices: [
                'Every candidate answers the same core questions, scored against the agreed criteria as they go',
                'The panel lets the conversation flow to put candidates at ease',
                'The chair scores each candidate after the panel has discussed them',
              ],
              correct: [0],
            },
            {
              prompt:
                'A panel member suggests offering the successful candidate the bottom of the salary range because she did not ask for more. What should the panel do?',
              choices: [
                'Agree: negotiating is part of the job',
                'Use her current salary and add a small increase',
                'Place her on the range by the same documented rule used for every appointee',
              ],
              correct: [2],
            },
            {
              prompt: 'Which of these questions must not be asked at interview?',
              choices: [
                '“How would you lead the school through a fall in pupil numbers?”',
                '“Who will look after your children if you get the job?”',
                '“Tell us about a time you changed a colleague’s practice.”',
              ],
              correct: [1],
            },
          ],
        },
        body: `This knowledge check covers the three modules you have just completed. There are five questions; you need 80% to pass, which means four correct answers. Some questions have more than one correct answer and say so.

You can take the check as often as you like. Each attempt is recorded so that your facilitator can see how the group is getting on, but only a pass counts towards your certificate. Once you pass, you will see the answers and your certificate will be issued.

If you are unsure about a question, go back to the module it comes from before you try again.`,
      },
    ],
  },
  {
    title: 'Aspiring women leaders: the pathway to headship',
    track: 'aspiring-leader',
    summary:
      'For deputy and assistant heads, and middle leaders, who are thinking about headship. Five modules on leading as yourself, the knowledge a head needs, applying with confidence, building a national network, and getting the most from a coach or mentor.',
    modules: [
      {
        title: 'Authentic leadership and confidence',
        minutes: 40,
        completion: { type: 'reflection', minWords: 40 },
        body: `Many women who would make excellent heads do not yet see themselves as heads. They have run departments, led whole-school priorities and deputised for the head, yet they wait for a moment when they will feel entirely ready. That moment rarely comes, for anyone. Confidence is not a feeling that arrives before the job; it grows from doing the job, with support.

## Leading as yourself

Authentic leadership means leading from your own values and strengths rather than copying a model of leadership that does not fit you. Staff, pupils and families trust a head who is consistent: whose decisions can be traced back to what she says she believes. That does not require a loud voice or a commanding presence. It requires clarity about what you stand for, and the courage to act on it when it is difficult.

Start by naming your values. What do you want every child in your school to experience? What will you not compromise on? Where have you already made a decision that cost you something because it was right? These answers are the core of your leadership, and of every application and interview you will give.

## Working with the inner critic

Most leaders, women and men, have an inner voice that tells them they are not quite good enough. It tends to be loudest before a step up. Notice what it says, and test it against the evidence: what have you actually achieved, and what did colleagues say about it? Keep a record of your successes and the feedback you receive; on difficult days it is more reliable than memory.

## Your reflection

Write a few sentences, or more if you wish, in answer to these questions: What are two or three values you would lead a school by, and where have you already acted on them? What does your inner critic say about headship, and what does the evidence say instead?

Your reflection is private to you unless you choose to share it with your facilitators.`,
      },
      {
        title: 'The knowledge and skills base for headship',
        minutes: 35,
        completion: { type: 'view' },
        body: `Headship draws on a wider range of knowledge than any role before it. Few candidates arrive knowing all of it, and nobody expects them to. What matters is knowing what the areas are, being honest about where you are strong and where you are still learning, and having a plan to close the gaps.

## Leading teaching and the curriculum

This is the heart of the role and most aspiring heads are strongest here. Be ready to talk about how you know what pupils are learning, how you have improved teaching across a team, and how you would shape a curriculum for the school's community.

## People and culture

Heads recruit, develop and sometimes manage out staff. They shape the culture of a school through thousands of small decisions. Think about the hardest conversation you have had with a colleague, what you learned from it, and how you build a team in which people can disagree safely.

## Finance, resources and the estate

Budget setting, staffing structures, procurement and the building are where many deputies have least experience. Ask your head to involve you in the next budget round. Learn to read a budget forecast and to explain a staffing decision in terms of its cost and its effect on pupils.

## Governance and accountability

A head is accountable to the governing board and, through it, to the community and to inspection. Understand the difference between the board's strategic role and the head's operational one, how a board holds a head to account, and how to work with a chair who challenges you.

## Safeguarding, inclusion and the law

The head carries final responsibility for safeguarding, for pupils with special educational needs, and for the school's duties under equality law. Make sure you have current training and have seen how serious cases are handled.

## Making a plan

Take each of these areas and rate yourself honestly: confident, developing, or new to it. Choose the two where you are least experienced and find one concrete way to gain experience in each over the next term. Bring that plan to your coach or mentor.`,
      },
      {
        title: 'Applying for headship: applications, interviews and negotiating the salary band',
        minutes: 45,
        after: [1],
        completion: { type: 'view' },
        body: `The selection process for headship is long and demanding, and it rewards preparation. This module takes you through it step by step.

## Choosing where to apply

Read the school's published information, its latest inspection report and its improvement priorities. Visit if you can, and talk to the head or chair. Ask yourself whether you would want to lead this school, not only whether it would want you. A good fit makes the whole process easier and the first year far more successful.

## The application

Most applications fail because they are general. Take the person specification and, for each criterion, give one specific example of what you did and what changed as a result. Use numbers where they are honest and meaningful. Write "I" rather than "we" when describing your own contribution: women often under-claim shared work. Ask someone who knows you well to read your draft and tell you what you have left out.

## The interview days

Expect a mix of tasks: a presentation, an in-tray or data exercise, a lesson observation, panels with staff and pupils, and a formal interview with governors. Prepare a handful of strong stories, each showing a different strength, that you can adapt to many questions. Practise aloud. If a panel asks about your family or childcare, you may politely decline to answer and steer back to the role; you may also, later, raise it with the clerk.

## Negotiating the salary band

Heads are paid within a range set by the board. You are entitled to ask where in the range you will be placed and why. Before the interview, find out the school's group size and the published range. If you are offered the post, thank the panel, ask for the offer in writing, and ask how the starting point was decided. If your experience justifies a higher point, say so calmly, with evidence. Negotiating for a fair salary is not a sign of being difficult; it sets the terms of your headship and every pay decision that follows.

## If you are not appointed

Ask for feedback, write it down, and look for the pattern across applications. Many successful heads were not appointed at their first, second or third attempt.`,
      },
      {
        title: 'Building a national peer network',
        minutes: 30,
        completion: { type: 'view' },
        body: `Leadership can be lonely, and the step to headship makes it more so. Women who build a network of peers before they become heads tell us it is one of the most valuable things they did. A network gives you honest advice, early news of opportunities, people to practise interviews with, and friends who understand the job.

## Start with who you know

Make a list of the leaders you already know outside your own school: from courses, previous schools, local partnerships and trusts. Get back in touch with two or three of them this month. Ask what they are working on and what they have learned; most people are glad to be asked.

## Reach beyond your area

A national network brings ideas your local one cannot. Join the online community for this programme and introduce yourself. Take part in at least one regional or national event each year. Follow and contribute to the discussions of women leaders in education, and offer what you know as well as asking.

## Give as well as take

Networks last when they are reciprocal. Share a resource, read a colleague's application, offer to visit her school or to host a visit. Introduce people who would benefit from knowing each other. The reputation you build as a generous colleague will follow you into headship.

## Make it sustainable

Set yourself a small, regular commitment: one conversation a fortnight, one event a term. Keep brief notes of who you have met and what you discussed. Within a year you will have a group of peers you can call on, and who will call on you.`,
      },
      {
        title: 'Working with a coach or mentor',
        minutes: 35,
        after: [0],
        completion: { type: 'reflection', minWords: 25 },
        body: `Coaching and mentoring are among the most effective forms of support for new and aspiring leaders, but they work best when you are clear about what each one offers and what you want from it.

## Coaching and mentoring are different

A **mentor** is usually an experienced head who shares her knowledge, tells you how she handled similar situations, and may open doors for you. A **coach** helps you find your own answers by asking questions, noticing patterns and holding you to what you said you would do. Both are valuable; many leaders have one of each at different times.

## Setting up the relationship

At the first meeting, agree how often you will meet, for how long, and how you will contact each other in between. Agree what is confidential. Most importantly, agree what you want to work on: two or three goals that matter to you, such as preparing for headship interviews, leading a difficult change, or finding a sustainable working pattern.

## Getting the most from each session

Come with a specific issue, not a general update. Be honest about what is not going well; a coach or mentor cannot help with problems you hide. End each session by naming one action you will take before the next, and start the next by reporting on it.

## When it is not working

Not every pairing works. If after two or three sessions the relationship does not feel useful, say so kindly and ask your programme facilitator for a different match. That is a normal part of the process, not a failure.

## Your reflection

Write a few sentences on what you want from a coach or mentor over the next six months. What two or three goals would you bring to your first session, and what would tell you, in six months' time, that the relationship had made a difference?`,
      },
    ],
  },
  {
    title: 'New heads: the first year',
    track: 'new-head',
    summary:
      'For women in their first or second year of headship. Five modules on the first hundred days, working with your governing board, staying well in a lonely role, leading change that lasts, and a year-end reflection to take stock and plan ahead.',
    modules: [
      {
        title: 'The first hundred days',
        minutes: 35,
        completion: { type: 'view' },
        body: `The first months of headship set the tone for everything that follows. Staff, pupils, families and governors are watching what you notice, what you ask about and what you decide. There is no single right way to begin, but the heads we work with agree on a few principles.

## Listen before you change

Spend your first weeks learning the school. Meet every member of staff, ideally one to one, and ask the same questions: what should I keep, what should I change, and what do you need from me? Walk the school at different times of day. Talk to pupils, to parents at the gate, and to the chair of governors. Keep notes, and look for the themes.

## Secure the essentials

Some things cannot wait. In your first fortnight, check that safeguarding procedures are sound and that you know who the designated leads are, that the budget position is understood, and that any urgent staffing or building issues have a plan. Ask your business manager and your safeguarding lead to walk you through their areas in detail.

## Choose a few early wins

Staff will judge you partly on whether small, visible problems get solved. Pick two or three that matter to people and can be fixed quickly: a broken system, an unnecessary meeting, an unfair duty rota. Solving them shows that you listen and act.

## Share what you have learned

Around the end of your first term, tell staff and governors what you have heard and what you intend to do about it. Be clear about what will stay the same as well as what will change. This is the beginning of your vision for the school, and people are far more likely to support it if they can see their own words in it.

## Look after the basics

Set working hours you can sustain from the start; habits formed in the first term are hard to change. Put your own support in place early, including a mentor and a peer group of other new heads.`,
      },
      {
        title: 'Working with the governing board',
        minutes: 30,
        completion: { type: 'view' },
        body: `Your relationship with the governing board, and above all with its chair, is one of the most important in your headship. A good board is both your strongest supporter and your most rigorous critic. Getting the relationship right early saves a great deal of difficulty later.

## Roles and responsibilities

The board sets the strategic direction of the school, holds the head to account for its educational performance and the performance management of staff, and oversees its finances. The head leads and manages the school day to day. The line between strategic and operational is not always sharp; talk about it openly with your chair, using real examples, rather than waiting for a disagreement to find it.

## The chair relationship

Agree how often you will meet your chair and what you will cover. Many heads find a regular fortnightly conversation works well. Be open about problems early: a chair who hears bad news first from someone else will find it harder to trust you. Ask for the challenge as well as the support; a chair who only reassures you is not doing the whole job.

## Reports and meetings

Write reports that help governors ask good questions: say what is going well, what is not, and what you are doing about it, with the evidence. Avoid overwhelming the board with data. Agree the cycle of reports for the year with your clerk so that nothing comes as a surprise.

## When the relationship is difficult

If you and your chair disagree on something important, raise it privately first and try to understand her view. Keep a record of key decisions and the reasons for them. If the relationship breaks down, seek advice early from your professional association, your local authority or trust, or your mentor. Difficult relationships are more common than new heads expect, and most can be repaired.`,
      },
      {
        title: 'Isolation and sustaining yourself',
        minutes: 35,
        completion: { type: 'reflection', minWords: 25 },
        body: `Almost every new head describes the same surprise: the role is lonelier than she expected. You are no longer part of a team of peers in the same way. Some decisions can be shared with nobody in the building, and some conversations stay with you long after the day ends. Women heads often carry additional expectations: to be always available, always warm, always in control.

## Recognise the signs

Isolation and overload rarely arrive all at once. Notice if you are working later each week, if you have stopped seeing friends, if sleep is getting worse, or if small things make you irritable. These are signals to act, not evidence that you are unsuited to the job.

## Build your support deliberately

Support does not appear by itself in headship; you have to build it. That usually means a mentor or coach outside the school, a small group of other heads you can speak to honestly, and people in your life who have nothing to do with education. Put these in your diary as firmly as any meeting.

## Protect time and boundaries

Decide what a sustainable week looks like for you, and design your routines around it: when you arrive and leave, when you read email, which evenings are protected. Share the boundaries with your senior team and chair so that they can help you keep them. A head who models a sustainable working life makes it possible for her staff to do the same.

## Ask for help early

If you are struggling, tell someone: your mentor, your chair, your doctor, or a confidential support service for school leaders. Asking early is a sign of good judgement, not weakness.

## Your reflection

Write a few sentences on how you are sustaining yourself this term. Who do you talk to when something is difficult? What is one boundary you want to set, or protect, in the next month?`,
      },
      {
        title: 'Leading change that lasts',
        minutes: 40,
        after: [0],
        completion: { type: 'view' },
        body: `Every new head inherits things she wants to change. The temptation is to change them all at once. Change that lasts is usually slower at the start and much faster in the end, because people understand it and own it.

## Start with the why

People support change when they understand why it is needed and what it will mean for them. Explain the problem before the solution, using evidence your staff recognise: pupils' work, their own observations, the voices of families. Invite people to improve the solution rather than presenting it finished.

## Do fewer things, better

Choose a small number of priorities for the year, and say clearly what will stop to make room for them. Staff in most schools are not short of initiatives; they are short of time to do any of them well.

## Plan the detail

Decide who is leading each change, what will be different in classrooms and offices, what training and time people will have, and how you will know whether it is working. Write it down in a page, not twenty.

## Expect resistance, and listen to it

Some resistance is about loss: of a familiar way of working, of status, of confidence. Some of it is simply right, because it spots a problem you missed. Meet it with curiosity rather than defensiveness. Talk to the people who disagree most; they often have the most useful knowledge.

## Keep going

Most changes in schools fail not at the start but in the second or third term, when attention moves elsewhere. Return to your priorities at every staff meeting and every report to governors. Celebrate progress in public, and be honest about what is not yet working.`,
      },
      {
        title: 'A year-end reflection',
        minutes: 45,
        after: [0, 1, 2, 3],
        completion: { type: 'reflection', minWords: 50 },
        body: `As your first year draws to a close, take time to look back before you look ahead. The pace of headship makes it easy to move straight into the next year's planning without noticing how far you have come, or what you have learned about yourself as a leader.

## Looking back

Read the notes you made in your first hundred days. What did staff, pupils and families tell you then, and what has changed since? Which of your early decisions are you proud of, and which would you make differently now? What surprised you most about the role?

## What you have learned about yourself

Think about the moments this year when you felt most like yourself as a head, and the moments when you felt you were playing a part. What do they tell you about your strengths, your values and the kind of leader you want to be? How has your relationship with your governing board developed?

## Looking ahead

Name two or three priorities for the school next year and one for yourself. Consider what support you will need: from your board, your senior team, your mentor and your peers. Decide what you will stop doing, as well as what you will start.

## Your reflection

Write a reflection of a few paragraphs on your first year: what you are proud of, what you have learned, and what you will do differently next year. You may choose to share it with your facilitators, who will use it to shape the support they offer in your second year, or keep it private.`,
      },
    ],
  },
];

/**
 * The id a core programme, or its module at `index`, is stored under: the same on every process (a fixed time, then
 * a hash of the track and place), so that processes creating them at once write the same documents and the `_id`
 * index keeps one of each.
 */
function coreId(track: Track, index?: number): Types.ObjectId {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(Date.parse('2025-01-01T00:00:00Z') / 1000));
  createHash('sha256')
    .update(index === undefined ? `core-programme:${track}` : `core-module:${track}:${index}`)
    .digest()
    .copy(bytes, 4, 0, 8);
  return new Types.ObjectId(bytes);
}

/** The id of the core programme of a track (it may since have been edited, archived or deleted by admins). */
export const coreProgrammeId = (track: Track): Types.ObjectId => coreId(track);

/** Inserts a document unless the same one is there already (written by another process starting at this moment). */
async function insertOnce(create: () => Promise<unknown>): Promise<boolean> {
  try {
    await create();
    return true;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}

/**
 * Creates one programme with its modules, prerequisites linked by position, under their fixed ids (each written
 * once, whoever writes it). The modules go first and the programme last, so a programme is never seen without its
 * modules. True when this call wrote the programme (false: it was there already).
 */
export async function createCoreProgramme(definition: CoreProgramme): Promise<boolean> {
  const ids = definition.modules.map((_, index) => coreId(definition.track, index));
  const programmeId = coreId(definition.track);
  for (const [index, m] of definition.modules.entries())
    await insertOnce(() =>
      ModuleModel.create({
        _id: ids[index],
        programmeId,
        title: m.title,
        body: sanitizeMarkdown(m.body),
        estimatedMinutes: m.minutes,
        resources: m.resources ?? [],
        prerequisites: (m.after ?? []).map((i) => ids[i]!),
        completion: m.completion,
        position: index + 1,
      } as Record<string, unknown>),
    );
  const created = await insertOnce(() =>
    ProgrammeModel.create({
      _id: programmeId,
      title: definition.title,
      track: definition.track,
      summary: definition.summary,
      status: 'published',
      certificateValidityMonths: defaultValidityMonths[definition.track],
      panelTraining: definition.panelTraining ?? false,
    }),
  );
  // Whoever wrote the programme, its outline is written from the modules (idempotent: all writers write the same).
  await showOutline(programmeId);
  if (created) await emitDomainEvent('programme.saved', { programmeId });
  return created;
}

/**
 * On start: when the database holds no programme of its own (none but the core ones), creates the core ones that are
 * missing, and says whether it created any. Every app process runs this at start: on an empty database several find
 * nothing at once, and the fixed ids make them write one copy of each programme and module. A start interrupted
 * between two programmes is completed by the next.
 */
export async function ensureCoreProgrammes(): Promise<boolean> {
  const coreIds = coreProgrammes.map((definition) => coreId(definition.track));
  if (await ProgrammeModel.exists({ _id: { $nin: coreIds } })) return false;
  const present = new Set(
    (await ProgrammeModel.find({ _id: { $in: coreIds } }, { _id: 1 }).lean()).map((p) => String(p._id)),
  );
  let created = false;
  for (const definition of coreProgrammes) {
    if (!present.has(String(coreId(definition.track))) && (await createCoreProgramme(definition))) created = true;
  }
  return created;
}
