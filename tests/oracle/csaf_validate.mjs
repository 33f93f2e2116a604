// Validates CSAF 2.0 documents with BSI's @secvisogram/csaf-validator-lib: the strict
// schema plus every mandatory, optional and informative test of the `full` preset, except
// the two that resolve URLs over the network (6.3.6, 6.3.7) and the spell check (6.3.8).
// Prints one JSON object per file: {file, isValid, errors, warnings, infos}.
// Usage: node csaf_validate.mjs FILE...
import { readFileSync } from 'node:fs'

import validateStrict from '@secvisogram/csaf-validator-lib/validateStrict.js'
import * as full from '@secvisogram/csaf-validator-lib/full.js'

const skipped = new Set(['informativeTest_6_3_6', 'informativeTest_6_3_7', 'informativeTest_6_3_8'])
const tests = Object.values(full).filter((test) => !skipped.has(test.name))

for (const file of process.argv.slice(2)) {
  const result = await validateStrict(tests, JSON.parse(readFileSync(file, 'utf8')))
  const collect = (kind) =>
    result.tests.flatMap((test) => (test[kind] || []).map((e) => `${test.name} ${e.instancePath} ${e.message}`))
  console.log(
    JSON.stringify({
      file,
      isValid: result.isValid,
      errors: collect('errors'),
      warnings: collect('warnings'),
      infos: collect('infos'),
    }),
  )
}
