// A real delivery checked by the reference implementation of Standard Webhooks (npm `standardwebhooks`):
//   NODE_PATH=<node_modules> node standardwebhooks_verify.js <body file> <headers json file> <secret>
// Exits 0 and prints the event type when Webhook.verify accepts the request, 1 otherwise.
const fs = require('fs');
const { Webhook } = require('standardwebhooks');

const body = fs.readFileSync(process.argv[2], 'utf8');
const headers = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
try {
  const event = new Webhook(process.argv[4]).verify(body, headers);
  console.log('verified ' + event.type);
  process.exit(0);
} catch (e) {
  console.log('REJECTED ' + e.message);
  process.exit(1);
}
