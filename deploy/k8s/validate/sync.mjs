#!/usr/bin/env node
// Keeps the files in deploy/k8s/ that are copies of files elsewhere in the repository in step:
//   deploy/k8s/models.json          = examples/models.json (byte for byte)
//   deploy/k8s/prometheusrule.yaml  = deploy/prometheus/alerts.yml wrapped in a PrometheusRule
// kustomize only reads files inside its directory, hence the copies.
//
//   node sync.mjs --check   exit 1 (with a diff hint) if a copy is out of date
//   node sync.mjs --write   rewrite the copies
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";

const HERE = dirname(fileURLToPath(import.meta.url));
const K8S = dirname(HERE);
const REPO = dirname(dirname(K8S));

function prometheusRule() {
  const rules = parse(readFileSync(join(REPO, "deploy/prometheus/alerts.yml"), "utf8"));
  const object = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: {
      name: "brainserve",
      labels: {
        "app.kubernetes.io/name": "brainserve",
        "app.kubernetes.io/component": "server",
      },
    },
    spec: { groups: rules.groups },
  };
  return (
    "# GENERATED from deploy/prometheus/alerts.yml by `node deploy/k8s/validate/sync.mjs --write`;\n" +
    "# do not edit (deploy/check_manifests.sh fails when it is out of date).\n" +
    "# Your Prometheus object must select it (ruleSelector, often a `release` label).\n" +
    stringify(object, { lineWidth: 0 })
  );
}

const copies = [
  { target: join(K8S, "models.json"), make: () => readFileSync(join(REPO, "examples/models.json"), "utf8") },
  { target: join(K8S, "prometheusrule.yaml"), make: prometheusRule },
];

const mode = process.argv[2];
if (mode !== "--check" && mode !== "--write") {
  console.error("usage: node sync.mjs --check|--write");
  process.exit(2);
}
let stale = 0;
for (const { target, make } of copies) {
  const wanted = make();
  const current = existsSync(target) ? readFileSync(target, "utf8") : null;
  if (current === wanted) continue;
  if (mode === "--write") {
    writeFileSync(target, wanted);
    console.log(`wrote ${relative(REPO, target)}`);
  } else {
    console.error(`FAIL: ${relative(REPO, target)} is out of date; run: node deploy/k8s/validate/sync.mjs --write`);
    stale++;
  }
}
if (stale > 0) process.exit(1);
if (mode === "--check") console.log("ok: deploy/k8s copies match examples/models.json and deploy/prometheus/alerts.yml");
