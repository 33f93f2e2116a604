// Scores CVSS vectors with FIRST's own calculators, as shipped in
// @secvisogram/csaf-validator-lib: reads one JSON string (a vector) a line on standard
// input and prints one JSON object a line. FIRST publishes no v2.0 calculator, so v2.0
// vectors (those without a CVSS: prefix) are answered with {"skipped": true}.
import { createInterface } from 'node:readline'

import CVSS30 from '@secvisogram/csaf-validator-lib/lib/shared/first/cvsscalc30.js'
import CVSS31 from '@secvisogram/csaf-validator-lib/lib/shared/first/cvsscalc31.js'
import { CVSS40 } from '@secvisogram/csaf-validator-lib/lib/shared/first/cvss40.js'

// cvss40.js reports refusals on the console; keep standard output for results.
console.error = () => {}

function score3(calculator, vector) {
  const result = calculator.calculateCVSSFromVector(vector)
  if (!result.success) {
    return { ok: false, error: result.errorType }
  }
  return {
    ok: true,
    vector: result.vectorString,
    base: Number(result.baseMetricScore),
    temporal: Number(result.temporalMetricScore),
    environmental: Number(result.environmentalMetricScore),
    severities: [result.baseSeverity, result.temporalSeverity, result.environmentalSeverity],
  }
}

function score4(vector) {
  try {
    const cvss = new CVSS40(vector)
    return {
      ok: true,
      vector: cvss.vector.raw,
      score: cvss.score,
      severity: cvss.severity,
      nomenclature: cvss.vector.nomenclature,
    }
  } catch (error) {
    return { ok: false, error: String(error.message) }
  }
}

function score(vector) {
  if (vector.startsWith('CVSS:3.0/')) return score3(CVSS30, vector)
  if (vector.startsWith('CVSS:3.1/')) return score3(CVSS31, vector)
  if (vector.startsWith('CVSS:4.0/')) return score4(vector)
  if (vector.startsWith('CVSS:')) return { ok: false, error: 'unknown prefix' }
  return { skipped: true }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
const out = []
for await (const line of lines) {
  if (line.length > 0) out.push(JSON.stringify(score(JSON.parse(line))))
}
process.stdout.write(out.join('\n') + (out.length ? '\n' : ''))
