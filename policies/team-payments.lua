-- The payments team's release policy: the OctoAcme baseline, tightened where money
-- moves, relaxed where the team has its own tooling.  Every change names its reason,
-- and the decision shows it (details.changed_by, or a skip saying who disabled what).

policy {
  name        = "team-payments",
  version     = "1.0.0",
  description = "OctoAcme baseline plus the payments team's own rules",
}

extends "octoacme"

-- Payments never deploys by hand: what the baseline only prefers, this team requires.
override "automated-pipeline" {
  level  = "mandatory",
  reason = "PCI DSS: production changes to payments go through the audited pipeline only",
}

-- A hotfix to payments may not ship a known high-severity finding either.
override "security-scan" {
  with   = { fail_on = by_type { patch = "high" } },
  reason = "payments hotfixes are held to the minor-release bar",
}

-- Announcements go out through the status-page bot, which the team checks itself.
disable "release-announced" {
  reason = "announced by the status-page bot on deploy (see RUNBOOK.md#announce)",
}

requirement "pci-change-ticket" {
  title  = "A PCI change ticket is referenced",
  hint   = "Set release.ticket to the PCI change ticket (PCI-1234) approved by the change board.",
  types  = { "patch", "minor", "major" },
  stages = { "deploy" },
  level  = "mandatory",
  check  = function(ctx)
    local ticket = ctx.release.ticket
    if type(ticket) == "string" and ticket:match("^PCI%-%d+$") then
      return pass("change ticket " .. ticket, { field = "release.ticket", ticket = ticket })
    end
    return fail("release.ticket is " .. (type(ticket) == "string" and ("'" .. ticket .. "'") or "missing")
                .. ", not a PCI change ticket (PCI-1234)", { field = "release.ticket" })
  end,
}
