-- A deliberately broken policy: every declaration below has one problem that
-- `relgate lint` must report as "file:line: problem" (tests/policy/test_policy_tools.py
-- holds the exact lines).  Each problem's line is its declaration's first line.

policy { name = "broken", version = "0.1.0" }

requirement "no-hint" {
  title = "Has no hint",
  check = function(ctx) return pass("ok") end,
}

requirement "bad-type" {
  title = "Unknown release type",
  hint  = "Use patch, minor or major.",
  types = { "hotfix" },
  check = function(ctx) return pass("ok") end,
}

requirement "bad-stage" {
  title  = "Unknown stage",
  hint   = "Use pre-release, deploy or post-deploy.",
  stages = { "production" },
  check  = function(ctx) return pass("ok") end,
}

requirement "bad-level" {
  title = "Unknown level",
  hint  = "Use mandatory, waivable or advisory.",
  level = "critical",
  check = function(ctx) return pass("ok") end,
}

requirement "unknown-check" {
  title = "Unknown plugin check",
  hint  = "Name a check that relgate plugins lists.",
  check = "ci.nonexistent",
}

requirement "unknown-param" {
  title = "Unknown parameter",
  hint  = "Use the parameters relgate plugins lists.",
  check = "ci.status",
  with  = { reports = evidence "ci", colour = "green" },
}

requirement "wrong-param-type" {
  title = "Parameter of the wrong type",
  hint  = "max_medium is an integer.",
  check = "security.scan",
  with  = { reports = evidence "security_scan", max_medium = "ten" },
}

requirement "disallowed-value" {
  title = "A parameter value the plugin does not allow",
  hint  = "format is trivy, not trivvy.",
  check = "security.scan",
  with  = { reports = evidence "security_scan", format = "trivvy" },
}

requirement "disallowed-item" {
  title = "A list item outside the allowed values, for one release type",
  hint  = "fail_on is one severity.",
  check = "security.scan",
  with  = { reports = evidence "security_scan", fail_on = by_type { patch = "high", minor = "critical", major = "severe" } },
}

requirement "missing-param" {
  title = "Required parameter missing",
  hint  = "backup.present needs its backup evidence.",
  check = "backup.present",
}

requirement "by-type-param" {
  title = "A by_type value wrong for one type",
  hint  = "fail_on is a severity name for every type.",
  check = "security.scan",
  with  = { reports = evidence "security_scan", fail_on = by_type { patch = "critical", minor = 3, major = "high" } },
}

requirement "no-title" {
  hint  = "Give it a title.",
  check = function(ctx) return pass("ok") end,
}

requirement "no-check" {
  title = "No check",
  hint  = "Give it a check.",
}

requirement "with-inline" {
  title = "with on an inline check",
  hint  = "Read what you need inside the function.",
  check = function(ctx) return pass("ok") end,
  with  = { reports = evidence "ci" },
}

requirement "unknown-field" {
  title = "A typo in a field name",
  hint  = "It is stages, not stage.",
  stage = { "deploy" },
  check = function(ctx) return pass("ok") end,
}

requirement "no-hint" {
  title = "Declared twice",
  hint  = "Ids are unique.",
  check = function(ctx) return pass("ok") end,
}

requirement "Bad_Id" {
  title = "Id with capitals",
  hint  = "Ids are lower case.",
  check = function(ctx) return pass("ok") end,
}

requirement "no-types" {
  title = "Applies to no type",
  hint  = "List at least one release type.",
  types = {},
  check = function(ctx) return pass("ok") end,
}

requirement "bad-timeout" {
  title   = "Timeout out of range",
  hint    = "At most a day.",
  check   = "ci.status",
  with    = { reports = evidence "ci" },
  timeout = 100000,
}

requirement "when-not-function" {
  title = "when is not a function",
  hint  = "when = function(ctx) ... end",
  when  = true,
  check = function(ctx) return pass("ok") end,
}
