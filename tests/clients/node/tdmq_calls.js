// Runs TDMQ for CMQ calls through the unmodified Node.js SDK, configured as its README says
// (endpoint "HOST:PORT", protocol "http://"), and prints one JSON line per call.
// Usage: node tdmq_calls.js ENDPOINT REGION SECRET_ID SECRET_KEY METHOD < calls.json
// where calls.json is [{"client": "tdmq"|"tag", "action": "...", "params": {...}}, ...].
"use strict";
const tencentcloud = require("tencentcloud-sdk-nodejs");

const [endpoint, region, secretId, secretKey, reqMethod] = process.argv.slice(2);

function client(kind) {
  const Client = kind === "tag" ? tencentcloud.tag.v20180813.Client : tencentcloud.tdmq.v20200217.Client;
  return new Client({
    credential: { secretId, secretKey },
    region,
    profile: { httpProfile: { endpoint, protocol: "http://", reqMethod: reqMethod || "POST", reqTimeout: 10 } },
  });
}

async function main() {
  const calls = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const clients = { tdmq: client("tdmq"), tag: client("tag") };
  for (const call of calls) {
    try {
      const response = await clients[call.client || "tdmq"][call.action](call.params || {});
      console.log(JSON.stringify({ action: call.action, ok: true, response }));
    } catch (err) {
      console.log(JSON.stringify({ action: call.action, ok: false, code: err.code || "", message: err.message }));
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
