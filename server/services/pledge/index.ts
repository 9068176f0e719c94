/** The Pledge: signing and confirming, the public list, commitments and progress, moderation and export. */
export {
  signPledge,
  viewConfirmation,
  confirmSignature,
  requestManageLink,
  openManageLink,
  checkManageLink,
  type SignInput,
  type ConfirmationView,
} from './signing.ts';
export {
  listPublicSignatures,
  countSignatures,
  organisationPage,
  findPublicOrganisation,
  presentPublicSignature,
  type SignatureFilter,
} from './listing.ts';
export {
  manageableSignatures,
  manageView,
  setCommitments,
  postProgressUpdate,
  setShowName,
  setReadinessShownByContact,
  deleteSignature,
  deleteOwnSignature,
} from './manage.ts';
export {
  setSignatureHidden,
  searchAllSignatures,
  adminSignatureDetail,
  pledgeDashboard,
  exportCsv,
  exportKinds,
  type ExportKind,
} from './admin.ts';
export { listCommitmentOptions, createCommitmentOption, updateCommitmentOption } from './options.ts';
export {
  linkSignatureToBoard,
  unlinkSignatureFromBoard,
  setRoundReadinessDisplay,
  registerRoundReadinessProvider,
  signatureForBoard,
  type RoundReadiness,
  type RoundReadinessProvider,
} from './boards.ts';
export { badgeSvg } from './badge.ts';
export { countries, countryName, isCountryCode } from '../../countries.ts';
