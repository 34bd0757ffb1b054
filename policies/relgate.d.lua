---@meta relgate
--
-- relgate.d.lua: LuaLS (lua-language-server) annotations for the relgate policy API.
--
-- This file is never run: it tells an editor what a policy may call.  Point LuaLS at it
-- with a .luarc.json at the repository root (see docs/policies.md, "Editor support"):
--
--   {
--     "runtime.version": "Lua 5.4",
--     "runtime.builtin": { "io": "disable", "debug": "disable", "package": "disable",
--                          "coroutine": "disable", "os": "disable" },
--     "workspace.library": [ "policies/relgate.d.lua" ],
--     "workspace.ignoreDir": [ "build", "examples" ]
--   }
--
-- Disabling those built-in libraries makes the editor flag what the sandbox refuses;
-- this file declares the three os functions a policy does get.
--
-- tests/unit/test_annotations.c holds this file against the engine: every global and
-- library function of the sandbox must appear here, and every `function NAME(` or
-- `NAME =` declared here must exist in the sandbox (or, for `test`, in the sandbox of
-- test files).  Keep declarations at the start of a line.
--
-- ---------------------------------------------------------------------------------------
-- What a policy sees
-- ---------------------------------------------------------------------------------------
--
-- relgate's own globals (declared below): policy, requirement, extends, override,
-- disable, pass, fail, warn, skip, find, filter, by_type, evidence, semver, time,
-- markdown, approvals, json, print, require, os.
--
-- Lua's base functions, as LuaLS already knows them: assert, error, getmetatable, ipairs,
-- next, pairs, rawequal, rawget, rawlen, select, tonumber, tostring, type, _VERSION.
-- Replaced by sandboxed versions with the same signature: pcall and xpcall (they cannot
-- catch the memory, instruction or time limits, nor an evidence path violation: those
-- stop the gate), setmetatable (refuses a __gc field, and tables whose metatable is
-- protected), print (to standard error, see below).
--
-- Standard libraries, read-only (assigning to a field is an error):
--   string.byte string.char string.find string.format string.gmatch string.gsub
--   string.len string.lower string.match string.rep string.reverse string.sub
--   string.upper string.pack string.packsize string.unpack  (and the s:method() forms)
--   table.concat table.insert table.move table.pack table.remove table.sort table.unpack
--   math.abs math.acos math.asin math.atan math.ceil math.cos math.deg math.exp
--   math.floor math.fmod math.huge
--   math.log math.max math.maxinteger math.min math.mininteger math.modf math.pi
--   math.rad math.random math.randomseed math.sin math.sqrt math.tan math.tointeger
--   math.type math.ult
--   utf8.char utf8.charpattern utf8.codes utf8.codepoint utf8.len utf8.offset
--   os.time os.date os.clock  (declared below: they read the evaluation clock, in UTC)
--
-- NOT AVAILABLE: io, debug, package, coroutine, load, loadfile, dofile, collectgarbage,
-- NOT AVAILABLE: rawset, _G, string.dump,
-- NOT AVAILABLE: os.exit, os.getenv, os.execute, os.remove, os.rename, os.tmpname,
-- NOT AVAILABLE: os.difftime, os.setlocale
--
-- (`warn` is relgate's result constructor, not Lua 5.4's warn().)
--
-- Reading an undefined global is an error (a typo is caught, not read as nil); after the
-- policy has loaded, globals cannot be assigned (use locals).  The context a check gets
-- is read-only.  Policy files load as text: precompiled bytecode is refused.

---------------------------------------------------------------------------------------
-- Names
---------------------------------------------------------------------------------------

---@alias relgate.ReleaseType
---| "patch" # hotfix for a critical production issue
---| "minor" # incremental features and improvements
---| "major" # significant functionality or breaking changes

---@alias relgate.Stage
---| "pre-release" # the pre-release requirements
---| "deploy"      # the deployment checklist that must hold before production
---| "post-deploy" # verifications after production; a deny adds the rollback & incident playbook

---@alias relgate.Level
---| "mandatory" # a failure denies
---| "waivable"  # a failure denies unless a valid waiver covers it
---| "advisory"  # a failure warns

---@alias relgate.CheckStatus "pass"|"fail"|"warn"|"skip"

---@alias relgate.Verdict "allow"|"warn"|"deny"|"error"

---@alias relgate.ResultStatus "pass"|"fail"|"warn"|"waived"|"error"|"skip"

---------------------------------------------------------------------------------------
-- Declarations
---------------------------------------------------------------------------------------

---What `policy { ... }` declares.  Without it the name is the file's base name and the
---version is null.
---@class relgate.PolicyMeta
---@field name string         non-empty
---@field version? string     non-empty; reported in the decision with the policy's digest
---@field description? string non-empty

---A requirement: what `requirement "id" { ... }` takes.  Unknown fields, wrong types and
---unknown values are load errors naming the declaration's file and line.
---@class relgate.RequirementSpec
---@field title string                   what the release guide says, in one line (required)
---@field hint? string                   how to make it pass; shown with every failure (lint wants one)
---@field description? string           a longer explanation
---@field types? relgate.ReleaseType[]   release types it applies to (default: all three)
---@field stages? relgate.Stage[]        stages it applies to (default: { "pre-release" })
---@field level? relgate.Level           what a failure does (default: "mandatory")
---@field check (fun(ctx: relgate.Context): relgate.Result)|string an inline check, or the name of a plugin check ("ci.status")
---@field with? table<string, any>       a plugin check's parameters (values may be by_type{...}); plugin checks only
---@field timeout? number                seconds a plugin check may run, 0 < timeout <= 86400 (default: --check-timeout); plugin checks only
---@field when? fun(ctx: relgate.Context): boolean, string? applies only when it returns true; otherwise skip, with the reason it returns
---@field waiver_role? string           a waiver must be approved by someone holding this role in ctx.approvals

---What `override "id" { ... }` may change in a requirement of an extended policy.
---Each change is listed in the result's details.changed_by with its file, line and reason.
---@class relgate.OverrideSpec
---@field reason? string                 why (shown in details.changed_by)
---@field level? relgate.Level
---@field title? string
---@field hint? string
---@field types? relgate.ReleaseType[]
---@field stages? relgate.Stage[]
---@field timeout? number                plugin checks only
---@field with? table<string, any>       plugin checks only: these parameters replace the base's, per release type

---What `disable "id" { ... }` takes.
---@class relgate.DisableSpec
---@field reason string                  required: the decision shows it (status skip, details.disabled_by)

---Declare the policy's name, version and description (once per policy).
---@param meta relgate.PolicyMeta
function policy(meta) end

---Declare a requirement: `requirement "id" { title = ..., check = ... }`.  Ids are lower-case
---letters, digits, '-', '_' and '.', unique in the policy (bases included).
---@param id string
---@return fun(spec: relgate.RequirementSpec)
function requirement(id) end

---Load policy NAME (NAME.lua in this policy's directory) into this one: its requirements
---come first; this file then adds requirements, overrides or disables them.  Once per base.
---@param name string
function extends(name) end

---Change a requirement declared by an extended policy:
---`override "id" { level = "mandatory", reason = "..." }`.
---@param id string
---@return fun(changes: relgate.OverrideSpec)
function override(id) end

---Disable a requirement declared by an extended policy: it stays in the decision as
---`skip`, with "disabled by FILE:LINE: REASON".
---@param id string
---@return fun(spec: relgate.DisableSpec)
function disable(id) end

---------------------------------------------------------------------------------------
-- Results
---------------------------------------------------------------------------------------

---What a check returns: made by pass(), fail(), warn() or skip() only (anything else is a
---policy error, and so is a result whose status was changed).
---@class relgate.Result
---@field status relgate.CheckStatus
---@field message string
---@field details? table<string, any>

---The requirement is met.
---@param message string one line for a person
---@param details? table<string, any> JSON-compatible: what was looked at
---@return relgate.Result
function pass(message, details) end

---The requirement is not met: mandatory and waivable deny (waivable: unless waived); an
---advisory requirement's failure is reported as `warn`.
---@param message string
---@param details? table<string, any>
---@return relgate.Result
function fail(message, details) end

---A warning: the gate answers warn (exit 0, or 1 with --fail-on-warn) unless something denies.
---@param message string
---@param details? table<string, any>
---@return relgate.Result
function warn(message, details) end

---The requirement does not apply to this release: say why.
---@param message string
---@param details? table<string, any>
---@return relgate.Result
function skip(message, details) end

---------------------------------------------------------------------------------------
-- Helpers
---------------------------------------------------------------------------------------

---The first element of LIST for which PRED is true, or nil (a nil list is empty).
---@generic T
---@param list T[]|nil
---@param pred fun(item: T): any
---@return T|nil
function find(list, pred) end

---A new list of the elements of LIST for which PRED is true (a nil list is empty).
---@generic T
---@param list T[]|nil
---@param pred fun(item: T): any
---@return T[]
function filter(list, pred) end

---A value made by by_type{}: resolved per release type when the requirement is declared.
---@class relgate.ByType

---FN with its results kept per arguments (strings and numbers by value, tables by identity):
---a cache the engine keeps, shared by the checks and by the decisions of a batch.  Only
---while the policy loads.  FN sees only its arguments (evidence only when ctx is one of
---them) and its results are read-only; it may return data, not functions.
---@generic F: function
---@param fn F
---@return F
function memo(fn) end

---A plugin parameter that differs by release type:
---`required = by_type { patch = { "build" }, minor = { "build", "lint" } }`.  A type left out
---gets the parameter's default.  Keys other than patch, minor, major are an error.
---@param values { patch?: any, minor?: any, major?: any }
---@return relgate.ByType
function by_type(values) end

---Writes its arguments, tab-separated, to standard error, prefixed with "policy: FILE:LINE:"
---(standard output carries the decision).
---@param ... any
function print(...) end

---Loads NAME ("lib.notes" is lib/notes.lua) from the policy's own directory, once, and
---returns what it returned (true when nothing).  Only while the policy loads, never inside
---a check; no C modules; nothing outside the policy's directory.
---@param name string
---@return any
function require(name) end

---------------------------------------------------------------------------------------
-- evidence: files named by the context's `evidence` object
---------------------------------------------------------------------------------------

---`evidence "ci"` names evidence for a plugin parameter (checks the name: letters, digits,
---'_', '-', '.'); evidence.path/exists/read read it inside an inline check.  Paths resolve
---against the context file's directory and may not leave it (--evidence-root): a path
---that does stops the gate with an error, whatever the policy does.
---@class relgate.EvidenceLib
---@overload fun(name: string): string
evidence = {}

---The resolved path of evidence NAME, or nil and the reason (not declared...).
---Inside a check only.
---@param name string
---@return string|nil path
---@return string|nil reason
function evidence.path(name) end

---True when evidence NAME is declared and is a regular file.  Inside a check only.
---@param name string
---@return boolean
function evidence.exists(name) end

---The text of evidence NAME, or nil and the reason (not declared, missing, larger than
---MAX_BYTES or --max-evidence-size (default 1 MiB), not UTF-8).  Inside a check only; the
---decision's `evidence` lists what was read, with its digest.
---@param name string
---@param max_bytes? integer
---@return string|nil text
---@return string|nil reason
function evidence.read(name, max_bytes) end

---------------------------------------------------------------------------------------
-- semver: SemVer 2.0.0
---------------------------------------------------------------------------------------

---@class relgate.SemVer
---@field major integer
---@field minor integer
---@field patch integer
---@field prerelease? string "rc.1"
---@field build? string      "build.7"

semver = {}

---The parts of version S, or nil and the reason.
---@param s string
---@return relgate.SemVer|nil
---@return string|nil reason
function semver.parse(s) end

---True when S is a SemVer 2.0.0 version (a leading "v" is not).
---@param s any
---@return boolean
function semver.valid(s) end

---Returns -1, 0 or 1 by SemVer precedence (build metadata ignored).  Raises an error when
---either is not a version: check with semver.valid first.
---@param a string
---@param b string
---@return -1|0|1
function semver.compare(a, b) end

---The bump from FROM to TO, or nil and the reason.
---@param from string
---@param to string
---@return "major"|"minor"|"patch"|"prerelease"|"none"|"downgrade"|nil
---@return string|nil reason
function semver.bump(from, to) end

---Whether V lies in RANGE (">=1.2.0 <2.0.0 || 3.0.0": comparators <, <=, >, >=, = that
---must all hold, alternatives joined by ||), or nil and the reason when V is not a
---version or RANGE not a range.  Waivers' `version` field reads ranges the same way.
---@param v string
---@param range string
---@return boolean|nil
---@return string|nil reason
function semver.satisfies(v, range) end

---------------------------------------------------------------------------------------
-- time: the evaluation clock, RFC 3339
---------------------------------------------------------------------------------------

time = {}

---The evaluation time, seconds since the epoch (--now fixes it; same as ctx.now).
---@return integer
function time.now() end

---Seconds since the epoch of an RFC 3339 time, or nil and the reason.
---@param s any
---@return integer|nil
---@return string|nil reason
function time.parse(s) end

---"YYYY-MM-DDTHH:MM:SSZ" for T (years 0000-9999).
---@param t integer
---@return string
function time.format(t) end

---@class relgate.LocalTime
---@field year integer
---@field month integer   1-12
---@field day integer     1-31
---@field hour integer
---@field min integer
---@field sec integer
---@field wday integer    ISO: 1 Monday .. 7 Sunday
---@field weekday "mon"|"tue"|"wed"|"thu"|"fri"|"sat"|"sun"
---@field yday integer    1-366
---@field isdst boolean   daylight-saving time in force
---@field offset integer  seconds east of UTC
---@field zone string     the zone's abbreviation then ("CEST")

---T in ZONE (an IANA name such as "Europe/Berlin"), from the system's zone database
---(Debian: tzdata), daylight-saving rules included; or nil and the reason (an unknown
---zone is never read as UTC).
---@param t integer
---@param zone string
---@return relgate.LocalTime|nil
---@return string|nil reason
function time.localtime(t, zone) end

---@class relgate.Window
---@field days? ("mon"|"tue"|"wed"|"thu"|"fri"|"sat"|"sun")[]  default: every day
---@field from string  "HH:MM" local time, included
---@field to string    "HH:MM" local time, excluded; after from ("24:00" ends a day)

---Whether T falls within the weekly WINDOW in ZONE's local time, or nil and the reason.
---@param t integer
---@param zone string
---@param window relgate.Window
---@return boolean|nil
---@return string|nil reason
function time.in_window(t, zone, window) end

---------------------------------------------------------------------------------------
-- markdown: ATX and setext headings and their sections
---------------------------------------------------------------------------------------

---@class relgate.Section
---@field title string   the heading's text
---@field level integer  1 for "#", 2 for "##"...
---@field line integer   the heading's line (1-based)
---@field body string    the text up to the next heading of the same or a higher level (subsections included)
---@field own string     the text up to the next heading of any level (the section without its subsections)

markdown = {}

---Every section of TEXT, one per heading ("## Title", or a line underlined with === or ---), in order.
---Only headings CommonMark renders count: none inside code or an HTML block (<!-- -->, <pre>, <script>...).
---@param text string
---@return relgate.Section[]
function markdown.sections(text) end

---The first section whose title matches TITLE (case-insensitive; a trailing "(if any)"
---or ":" ignored), or nil.
---@param text string
---@param title string
---@return relgate.Section|nil
function markdown.section(text, title) end

---True when S shows nothing when rendered: Unicode white space and invisible characters (also
---as &nbsp; &#160; ...), HTML comments and other HTML that renders nothing (nil counts as blank).
---@param s string|nil
---@return boolean
function markdown.is_blank(s) end

---S without the HTML that renders nothing (comments, <? ?>, <!X >, CDATA, <script>, <style>),
---by the rule markdown.is_blank uses: what a reader of the rendered document can see.
---@param s string
---@return string
function markdown.visible(s) end

---------------------------------------------------------------------------------------
-- approvals: the approvals that count
---------------------------------------------------------------------------------------

approvals = {}

---The approvals that count: state "approved", a non-empty user who is not release.author
---(compared as identities: see approvals.identity).  Without a usable release.author
---(missing, not a string, blank) none counts: nobody can tell an approval is someone else's.
---@param ctx relgate.Context
---@return relgate.Approval[]
function approvals.list(ctx) end

---Those of them with role ROLE.
---@param ctx relgate.Context
---@param role string
---@return relgate.Approval[]
function approvals.by_role(ctx, role) end

---The first of them with role ROLE, or nil.
---@param ctx relgate.Context
---@param role string
---@return relgate.Approval|nil
function approvals.find(ctx, role) end

---NAME normalised for comparing who someone is: invisible characters and combining marks
---dropped, white space trimmed and collapsed, one leading '@' dropped, letters folded to
---lower case without accents ("  @MKhan " -> "mkhan", "Élodie" -> "elodie").  nil when NAME
---names nobody (not a string, blank, not UTF-8).
---@param name any
---@return string|nil
function approvals.identity(name) end

---Whether A and B name the same person (approvals.identity of both); nil when either names
---nobody, so a check that needs "someone else" fails closed on nil.
---@param a any
---@param b any
---@return boolean|nil
function approvals.same_person(a, b) end

---------------------------------------------------------------------------------------
-- json
---------------------------------------------------------------------------------------

json = {}

---TEXT as Lua values (objects and arrays as tables, null as nil), or nil and the reason
---naming NAME, line and column.  As strict as the context parser: one document, UTF-8,
---no duplicate keys.
---@param text string
---@param name? string how the reason names the text (default "json text")
---@return any
---@return string|nil reason
function json.decode(text, name) end

---What V is as JSON: "object" or "array" for the context's tables and json.decode's (so
---{} and [] differ), "string", "number", "boolean", "null" (nil), or "table" for a table
---the policy made.  The length (#) of a JSON array counts its null items.
---@param v any
---@return "object"|"array"|"string"|"number"|"boolean"|"null"|"table"|string
function json.type(v) end

---How far apart A and B are as member names, by the engine's rule for a misspelt field:
---edits (a swap of two neighbours is one), with ASCII case and '-' against '_' not counted
---("Data-Migrations" is 0 from "data_migrations", "stgae" 1 from "stage").  nil when
---either is not a string or is longer than 64 bytes.
---@param a string
---@param b string
---@return integer|nil
function json.key_distance(a, b) end

---------------------------------------------------------------------------------------
-- os: the clock only
---------------------------------------------------------------------------------------

os = {}

---Without an argument: the evaluation time (--now), not the machine's clock.  With a
---table { year, month, day [, hour = 12, min = 0, sec = 0] }: that time read as UTC.
---@param t? { year: integer, month: integer, day: integer, hour?: integer, min?: integer, sec?: integer }
---@return integer
function os.time(t) end

---Formats T (default: the evaluation time) in UTC, as if FORMAT began with "!".
---@param format? string default "%c"
---@param t? integer
---@return string|osdate
function os.date(format, t) end

---CPU time used by the process, in seconds (for measuring, never for decisions).
---@return number
function os.clock() end

---------------------------------------------------------------------------------------
-- The release context (docs/context.md), as a check sees it: read-only, JSON null as nil
---------------------------------------------------------------------------------------

---@class relgate.Incident
---@field id? string
---@field severity? string "critical" for a hotfix
---@field summary? string

---@class relgate.Release
---@field name string               non-empty (validated by the engine)
---@field version string            SemVer 2.0.0 (validated)
---@field type relgate.ReleaseType  after --type (validated)
---@field previous_version? string  SemVer when present (validated): the last known-good release
---@field commit? string
---@field branch? string
---@field author? string            nobody may approve or waive their own release
---@field scheduled_at? string
---@field ticket? string
---@field data_migrations? boolean
---@field incident? relgate.Incident
---@field [string] any

---@class relgate.Approval
---@field user string
---@field role string
---@field state string "approved" counts
---@field at? string   RFC 3339

---@class relgate.Change
---@field id string|number
---@field title? string
---@field merged? boolean
---@field acceptance_criteria_met? boolean
---@field [string] any

---@class relgate.Window
---@field start string RFC 3339
---@field end string   RFC 3339

---@class relgate.VerificationCheck
---@field name string
---@field status string "passed"
---@field observed? string|number
---@field threshold? string

---@class relgate.Deployment
---@field window? relgate.Window
---@field pipeline? string "automated" or "manual"
---@field staging? { deployed?: boolean, deployed_at?: string }
---@field production? { version?: string, deployed_at?: string, pipeline?: string }
---@field verification? { status?: string, checks?: relgate.VerificationCheck[] }
---@field announcement? { channels?: string[], at?: string }
---@field [string] any

---A waiver (from the context's `waivers` or --waivers FILE).  Judged by the engine, not
---the policy: it applies to a failed waivable requirement when well-formed, unexpired,
---not approved by release.author, and (with waiver_role) approved by a holder of that role.
---@class relgate.Waiver
---@field requirement string
---@field reason string
---@field approver string
---@field ticket string
---@field expires string RFC 3339 in UTC ("Z" or "+00:00")
---@field release? string   only for the release of this name
---@field version? string   only for versions in this SemVer range (">=2.4.0 <2.5.0")
---@field stage? relgate.Stage only at this stage
---@field findings? string[] only when the check failed on these findings and no others

---A live evidence source (docs/context.md): the ci plugin fetches it; `evidence.read` cannot.
---@class relgate.LiveSource
---@field github? "check-runs"|"statuses"|"workflow-runs"
---@field gitlab? "pipelines"|"pipeline-jobs"
---@field repo? string      GitHub: "OWNER/NAME"
---@field project? integer|string  GitLab: an ID or "group/name"
---@field ref? string       the commit's full SHA
---@field pipeline? integer GitLab: a pipeline ID instead of ref
---@field recorded? table[] what --save-evidence recorded: {url, next?, fetched_at, sha256, file}

---The context a check receives.  Read-only: assigning to it raises an error.
---@class relgate.Context
---@field release relgate.Release
---@field stage relgate.Stage              filled in by the engine (after --stage)
---@field now integer                      filled in by the engine: the evaluation time
---@field approvals? relgate.Approval[]
---@field changes? relgate.Change[]
---@field deployment? relgate.Deployment
---@field evidence? table<string, string|relgate.LiveSource>  evidence name -> path relative to the context file, or a live source
---@field waivers? relgate.Waiver[]
---@field [string] any

---------------------------------------------------------------------------------------
-- Policy tests (*_test.lua files, run by `relgate test`): these globals exist there only
---------------------------------------------------------------------------------------

---A mocked plugin check result: pass("..."), fail("..."), warn("..."), skip("...") or
---{ status = "error", message = "..." }.
---Or a function of the check's parameters (defaults applied, overrides merged) and the
---release context, both read-only, returning such a result.
---@alias relgate.Mock relgate.Result|{ status: "pass"|"fail"|"warn"|"skip"|"error", message: string, details?: table<string, any> }|fun(params: table<string, any>, ctx: relgate.Context): relgate.Result

---@class relgate.TestExpect
---@field decision? relgate.Verdict
---@field requirements? table<string, relgate.ResultStatus|"absent"|"undeclared"> id -> status ("absent": declared but not in the decision; "undeclared": not in the policy)
---@field messages? table<string, string>    id -> a substring of its message
---@field actions? ("incident"|"rollback"|"triage")[] the decision's actions, in order
---@field rollback? string                   the rollback action's target
---@field calls? table<string, table<string, any>> id -> parameters its plugin check must have been called with
---@field waivers? table<string, string>     id -> what became of its waiver: "applied", "unused", "out-of-scope"...
---@field details? table<string, table<string, any>> id -> details its result must carry

---@class relgate.TestSpec
---@field policy? string            the policy, relative to the test file (default: the file named like the test file without _test)
---@field context table|string      the context as a table, or a JSON file relative to the test file
---@field stage? relgate.Stage      like --stage
---@field type? relgate.ReleaseType like --type
---@field now? string               RFC 3339, like --now (default: the clock)
---@field mocks? table<string, relgate.Mock> check name -> result; without mocks, plugin checks really run
---@field real? string[]            plugin checks that run for real beside the mocked ones
---@field expect relgate.TestExpect

---Declare a policy test: `test "name" { context = ..., expect = { ... } }`.
---@param name string
---@return fun(spec: relgate.TestSpec)
function test(name) end
