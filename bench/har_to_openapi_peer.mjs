// The peer in bench/inventory_quality.py: npm `har-to-openapi` over the same traffic as HAR.
// Reads {api: har} from argv[2]; prints {api: [[METHOD, path], ...]}. The package is loaded from
// the path in HAR_TO_OPENAPI (bench/.cache/node_modules/har-to-openapi/dist/index.js).
import fs from "node:fs";
import { pathToFileURL } from "node:url";

const { generateSpec } = await import(pathToFileURL(process.env.HAR_TO_OPENAPI).href);
const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const out = {};
for (const [api, har] of Object.entries(input)) {
  try {
    const { spec } = await generateSpec(har, { relaxedMethods: true, attemptToParameterizeUrl: true });
    out[api] = [];
    for (const [p, item] of Object.entries(spec.paths || {}))
      for (const m of Object.keys(item)) if (m !== "parameters") out[api].push([m.toUpperCase(), p]);
  } catch (e) {
    out[api] = { error: String(e) };
  }
}
process.stdout.write(JSON.stringify(out));
