import type { Router } from 'express';
import { z } from 'zod';
import { requireSignIn } from '../server/auth.ts';
import { NotFoundError } from '../server/errors.ts';
import { downloadDisposition } from '../server/http/downloads.ts';
import { apiOperation } from '../server/http/api.ts';
import {
  certificateFor,
  certificatePdf,
  certificateStatus,
  listCertificates,
  presentCertificate,
  trackNames,
  verificationUrl,
  verifyCertificate,
} from '../server/services/learning/certificates.ts';

const certificateSchema = z
  .object({
    id: z.string(),
    programmeId: z.string(),
    track: z.string(),
    issuedAt: z.string(),
    expiresAt: z.string().nullable(),
    verificationCode: z.string(),
  })
  .loose();
const verificationSchema = z
  .object({
    status: z.enum(['valid', 'expired', 'revoked']),
    /** Absent when revoked: the holder's account was erased. */
    name: z.string().optional(),
    programme: z.string(),
    issuedAt: z.string(),
    expiresAt: z.string().nullable(),
  })
  .loose();

/**
 * A verification code as typed or pasted, its first 40 characters (codes are shorter): cut by character, not by UTF-16
 * unit, so a pasted emoji is never cut in half (a lone half cannot be put in the redirect's URL: a 500).
 */
const typedCode = (text: string) => [...text.trim()].slice(0, 40).join('');

export function registerCertificateRoutes(web: Router, api: Router): void {
  apiOperation(
    api,
    {
      method: 'get',
      path: '/me/certificates',
      tag: 'learning',
      summary: 'Your certificates',
      access: [],
      success: { status: 200, description: 'Certificates, newest first', schema: z.array(certificateSchema) },
    },
    async ({ user }) => (await listCertificates({ userId: user.id })).map(presentCertificate),
  );
  apiOperation(
    api,
    {
      method: 'get',
      path: '/certificates/verify/:code',
      tag: 'learning',
      summary: 'Check a certificate by its verification code (public)',
      access: 'public',
      success: {
        status: 200,
        description: 'Valid or expired, with name, programme and dates only',
        schema: verificationSchema,
      },
    },
    async ({ params }) => verifyCertificate({ code: typedCode(String(params.code)), now: new Date() }),
  );

  web.get('/certificates', requireSignIn, async (req, res) => {
    const certificates = await listCertificates({ userId: req.user!.id });
    const now = new Date();
    res.render('certificates/index', {
      title: 'Your certificates',
      certificates: certificates.map((c) => ({
        ...c,
        status: certificateStatus(c, now),
        url: verificationUrl(c.verificationCode),
      })),
      trackNames,
    });
  });
  web.get('/certificates/verify', async (req, res) => {
    const code = typeof req.query.code === 'string' ? typedCode(req.query.code) : '';
    if (code) return res.redirect(303, `/certificates/verify/${encodeURIComponent(code)}`);
    res.render('certificates/verify', { title: 'Check a certificate', code: '', result: null, trackNames });
  });
  web.get('/certificates/verify/:code', async (req, res) => {
    const code = typedCode(String(req.params.code));
    try {
      res.render('certificates/verify', {
        title: 'Check a certificate',
        code,
        result: await verifyCertificate({ code, now: new Date() }),
        trackNames,
      });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      res.status(404).render('certificates/verify', {
        title: 'Check a certificate',
        code,
        result: { status: 'unknown' },
        trackNames,
      });
    }
  });
  web.get('/certificates/:id/download', requireSignIn, async (req, res) => {
    const certificate = await certificateFor({ actor: req.user!, certificateId: String(req.params.id) });
    const pdf = await certificatePdf(certificate, req.user!.timezone);
    res
      .type('application/pdf')
      .set(
        'Content-Disposition',
        downloadDisposition(`${certificate.programmeTitle} ${certificate.verificationCode}`, 'pdf'),
      )
      .setHeader('Cache-Control', 'private, no-store');
    res.send(pdf);
  });
}
