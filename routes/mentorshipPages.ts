import type { Router } from 'express';

/** Web pages for requests, mentorships, outcomes and the admin overview (filled in below). */
export function registerMentorshipPages(web: Router): void {
  void web;
}
