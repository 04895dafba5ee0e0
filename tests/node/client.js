// Usage: node client.js HOST:PORT < document.json
// Checks health, indexes the document, scores it (index: false), sends a bad request, and
// prints what it saw as one JSON object (read by tests/test_client_cli.py).
"use strict";

const path = require("path");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const PROTOS = path.resolve(__dirname, "..", "..", "protos");
const OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [PROTOS, __dirname] };

function load(file) {
  return grpc.loadPackageDefinition(protoLoader.loadSync(file, OPTIONS));
}

function call(client, method, request) {
  const deadline = new Date(Date.now() + 30000);
  return new Promise((resolve) => {
    client[method](request, { deadline }, (error, response) => resolve({ error, response }));
  });
}

async function main() {
  const target = process.argv[2];
  const document = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const dedup = load("dedup/v1/syndication.proto").dedup.v1;
  const health = load("health.proto").grpc.health.v1;
  const service = new dedup.Syndication(target, grpc.credentials.createInsecure());
  const checker = new health.Health(target, grpc.credentials.createInsecure());

  const out = {};
  const checked = await call(checker, "Check", { service: "" });
  if (checked.error) throw checked.error;
  out.health = checked.response.status;

  const indexed = await call(service, "Index", { document });
  if (indexed.error) throw indexed.error;
  out.index = indexed.response;

  const scored = await call(service, "Score", { document, index: false, top_k: 10 });
  if (scored.error) throw scored.error;
  out.score = { matches: scored.response.matches.map((m) => m.id), lineage_id: scored.response.lineage_id };

  const bad = await call(service, "Index", { document: { id: "", text: "x" } });
  out.badRequest = bad.error ? { code: bad.error.code, details: bad.error.details } : null;

  service.close();
  checker.close();
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
