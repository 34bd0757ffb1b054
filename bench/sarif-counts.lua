-- bench/relgate-gate.sh --sarif-counts: one requirement that runs the security.scan plugin on the
-- evidence "scan" (a SARIF log) with no limit, so that its details carry the counts by severity.
-- The peers' --sarif-counts parses the log and counts; this is the same work through relgate.
policy {
  name        = "sarif-counts",
  version     = "1.0.0",
  description = "Count a SARIF log's findings by severity (bench/relgate-gate.sh --sarif-counts)",
}

requirement "sarif.counts" {
  title = "Count the SARIF log's unsuppressed results by severity",
  types = { "patch", "minor", "major" },
  check = "security.scan",
  with  = { reports = evidence "scan", format = "sarif", fail_on = "none" },
}
