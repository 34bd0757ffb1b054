// Verify relgate's DSSE envelope with Sigstore's own verifier (@sigstore/verify): the
// envelope goes into a Sigstore bundle (v0.3) whose verification material is a public-key
// hint, with no transparency log and no timestamps, and the key is the trusted material.
// usage: node sigstore_verify.js NODE_MODULES ENVELOPE.json PUBLIC.pem
// Exit 0 when Sigstore accepts it, 1 when it refuses it (the reason on stderr).
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const [modules, envelopePath, keyPath] = process.argv.slice(2);
const need = (name) => require(path.join(modules, name));
const { Verifier, toSignedEntity, toTrustMaterial } = need('@sigstore/verify');
const { bundleFromJSON } = need('@sigstore/bundle');

const envelope = JSON.parse(fs.readFileSync(envelopePath, 'utf8'));
const hint = 'relgate-test-key';
const bundle = bundleFromJSON({
  mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  verificationMaterial: { publicKey: { hint }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
  dsseEnvelope: {
    payload: envelope.payload,
    payloadType: envelope.payloadType,
    signatures: envelope.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid || '' })),
  },
});
const trustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [],
};
const key = crypto.createPublicKey(fs.readFileSync(keyPath));
const material = toTrustMaterial(trustedRoot, (h) => {
  if (h !== hint) throw new Error('unknown key hint ' + h);
  return { publicKey: key, validFor: () => true };
});
try {
  new Verifier(material, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle));
  console.log('sigstore: verified');
} catch (e) {
  console.error('sigstore: refused: ' + (e && e.message));
  process.exit(1);
}
