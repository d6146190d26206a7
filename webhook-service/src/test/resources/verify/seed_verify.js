// The seed page's Node.js example, verbatim, run against a real delivery:
//   node seed_verify.js <body file> <signature header value> <secret>
const crypto = require('crypto');
const fs = require('fs');

function verifySignature(body, signature, secret) {
  const expected = crypto
    .createHmac('sha256', secret)
    .update(body)
    .digest('hex');
  return crypto.timingSafeEqual(
    Buffer.from(expected), Buffer.from(signature)
  );
}

let ok = false;
try {
  ok = verifySignature(fs.readFileSync(process.argv[2]), process.argv[3], process.argv[4]);
} catch (e) {
  ok = false; // timingSafeEqual throws on a length mismatch
}
console.log(ok ? 'verified' : 'REJECTED');
process.exit(ok ? 0 : 1);
