// Infobip's Node.js SDK (npm `@infobip-api/sdk`) against the sandbox.
//
// Run by `run.sh`, which gives INFOBIP_BASE_URL and INFOBIP_API_KEY. Every product's main
// calls are made in two rounds (on a fresh sandbox, the required-only answers, then the
// every-property ones). The SDK has no answer models and never throws: it hands back the
// HTTP response, or the error it caught, so a call counts when its answer is a 2xx with a
// body. Prints one line per product; exits non-zero if any call failed.

const { Infobip, AuthType } = require('@infobip-api/sdk');

const infobip = new Infobip({
  baseUrl: process.env.INFOBIP_BASE_URL,
  apiKey: process.env.INFOBIP_API_KEY,
  authType: AuthType.ApiKey,
});
const NUMBER = '41793026727';

function read(answer) {
  if (!answer || !answer.status || answer.status < 200 || answer.status >= 300) {
    const response = answer && answer.response;
    const detail = response
      ? `${response.status} ${JSON.stringify(response.data).slice(0, 300)}`
      : String(answer);
    throw new Error(`${answer && answer.config ? answer.config.url : 'a call'}: ${detail}`);
  }
  return answer.data;
}

async function twoFactor() {
  const twoFA = infobip.service.twoFA;
  const app = read(
    await twoFA.createApplication({
      name: 'official Node SDK',
      // Limits that let a PIN be sent and checked twice in a row.
      configuration: { verifyPinLimit: '100/1s', sendPinPerPhoneNumberLimit: '100/1d' },
    })
  );
  const template = read(
    await twoFA.createMessageTemplate(app.applicationId, {
      messageText: 'Your PIN is {{pin}}',
      pinType: 'NUMERIC',
      pinLength: 4,
    })
  );
  const pin = read(
    await twoFA.sendPINCodeSMS(
      { applicationId: app.applicationId, messageId: template.messageId, from: 'InfoSMS', to: NUMBER },
      false
    )
  );
  const verified = read(await twoFA.verifyPhoneNumber(pin.pinId, { pin: 'wrong' }));
  if (verified.verified !== false) throw new Error(`a wrong PIN verified: ${JSON.stringify(verified)}`);
  read(await twoFA.getVerificationStatus(app.applicationId, { msisdn: NUMBER }));
}

const PRODUCTS = {
  sms: [
    async () =>
      read(await infobip.channels.sms.send({
        messages: [{ destinations: [{ to: NUMBER }], from: 'InfoSMS', text: 'From the official Node SDK' }],
      })),
    async () => read(await infobip.channels.sms.reports.get({ limit: 5 })),
    async () => read(await infobip.channels.sms.logs.get({ limit: 5 })),
  ],
  '2fa': [twoFactor],
  whatsapp: [
    async () =>
      read(await infobip.channels.whatsapp.send({
        type: 'text', from: '441134960000', to: NUMBER, content: { text: 'From the official Node SDK' },
      })),
  ],
  email: [
    async () =>
      read(await infobip.channels.email.send({
        from: 'Sandbox <sandbox@example.com>', to: 'someone@example.com',
        subject: 'Hello', text: 'From the official Node SDK',
      })),
    async () => read(await infobip.channels.email.report.get({ limit: 5 })),
    async () => read(await infobip.channels.email.log.get({ limit: 5 })),
  ],
};

async function run(calls) {
  const errors = [];
  for (const call of calls) {
    try {
      await call();
    } catch (error) {
      errors.push(error.message);
    }
  }
  return errors;
}

(async () => {
  const rounds = [];
  for (let round = 0; round < 2; round++) {
    const outcome = {};
    for (const [name, calls] of Object.entries(PRODUCTS)) outcome[name] = await run(calls);
    rounds.push(outcome);
  }
  let failed = 0;
  for (const name of Object.keys(PRODUCTS)) {
    const errors = [...rounds[0][name], ...rounds[1][name]];
    if (errors.length === 0) {
      console.log(`  ${name}: ok (${PRODUCTS[name].length} calls, twice)`);
    } else {
      failed++;
      console.log(`  ${name}: FAILED: ${errors[0]}`);
    }
  }
  const { version } = require('@infobip-api/sdk/package.json');
  const total = Object.keys(PRODUCTS).length;
  console.log(`@infobip-api/sdk ${version}: ${total - failed} of ${total} products ok`);
  process.exit(failed ? 1 : 0);
})();
