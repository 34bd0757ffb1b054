#compdef relgate
# zsh completion for relgate (installed as share/zsh/vendor-completions/_relgate).

_relgate() {
  local -a commands stages types formats
  commands=(
    'eval:evaluate a policy for one release and stage'
    'test:run policy tests (*_test.lua) with mocked plugin checks'
    'lint:check a policy without running any check'
    'plugins:list the check plugins found and their parameters'
    'history:list decisions from a decision log; last-good: the rollback target'
    'render:render a saved decision in other formats'
    'verify:check a signed decision (eval --attest) before acting on it'
    'check:run one plugin check with given parameters and evidence'
    'init:write a team policy to start from'
    'bundle:make a policy bundle, print its digest, pin bundles in relgate.lock'
    'serve:answer decisions over HTTP (POST /v1/decisions)'
  )
  stages=(pre-release deploy post-deploy)
  types=(patch minor major)
  formats=(json text markdown junit github)
  local -a limits
  limits=(
    '--timeout[policy wall-time limit]:seconds:'
    '--max-memory[policy memory limit]:size:'
    '--max-instructions[policy instruction limit]:number:'
  )

  if (( CURRENT == 2 )); then
    _describe -t commands 'relgate command' commands
    _arguments '(-h --help)'{-h,--help}'[show the help]' '(-V --version)'{-V,--version}'[show the version]'
    return
  fi
  local cmd=$words[2]
  shift words
  (( CURRENT-- ))
  case $cmd in
    eval)
      _arguments -s \
        '--policy[policy file or directory]:policy:_files -g "*.lua(-.)"' \
        '--context[release context (JSON), - for standard input]:context:_files -g "*.json(-.)"' \
        '--batch[one context per line]:contexts:_files -g "*.jsonl(-.)"' \
        "--stage[the stage]:stage:(${stages[*]})" \
        "--type[the release type]:type:(${types[*]})" \
        "*--format[FMT or FMT=PATH (repeatable)]:format:(${formats[*]})" \
        '--color[colours in text]:when:(auto always never)' \
        '--no-color[no colours in text]' \
        '--details[which results carry details]:which:(all failed none)' \
        '--output[write the decision to a file]:file:_files' \
        '--log[decision log: path, sqlite:PATH or postgresql://...]:log:_files' \
        '--waivers[more waivers (JSON)]:waivers:_files -g "*.json(-.)"' \
        '--now[evaluate at this RFC 3339 time]:time:' \
        '--fail-on-warn[exit 1 on warn]' \
        '--evidence-root[evidence paths stay inside]:directory:_files -/' \
        '--save-evidence[record what the checks read, for an offline replay]:directory:_files -/' \
        '*--plugin-path[look for plugins here first]:directory:_files -/' \
        '*--policy-path[where extends and require look next]:directory:_files -/' \
        '--attest[also sign the decision into this .intoto.jsonl]:file:_files' \
        '--signing-key[private key (PEM) that signs]:key:_files -g "*.pem(-.)"' \
        '--verifier-id[the verifier the attestation names]:uri:' \
        '--resource-uri[the resource the attestation is about]:uri:' \
        '(-j --jobs)'{-j,--jobs}'[plugin checks at once, batch workers]:number:' \
        '--check-timeout[time a plugin check may take]:seconds:' \
        '--check-memory[memory a plugin check may use]:size:' \
        '--max-context-size[largest context]:size:' \
        '--max-evidence-size[largest evidence file a policy reads]:size:' \
        '--max-check-evidence-size[largest evidence file a plugin check reads]:size:' \
        '--max-json-depth[deepest JSON nesting]:number:' \
        '--max-requirements[most requirements]:number:' \
        $limits '(-h --help)'{-h,--help}'[show the help]' ;;
    render)
      _arguments -s \
        "*--format[FMT or FMT=PATH (repeatable)]:format:(${formats[*]})" \
        '--color[colours in text]:when:(auto always never)' \
        '--no-color[no colours in text]' \
        '--fail-on-warn[exit 1 on warn]' \
        '(-h --help)'{-h,--help}'[show the help]' \
        '1:decision:_files -g "*.json(-.)"' ;;
    verify)
      _arguments -s \
        '--attestation[the envelope or .intoto.jsonl file]:file:_files' \
        '*--public-key[a trusted public key (PEM)]:key:_files -g "*.pem(-.)"' \
        '--threshold[distinct trusted keys that must have signed]:number:' \
        '*--subject-digest[an artifact it must name (sha256:HEX)]:digest:' \
        '--policy-digest[the policy it must have been decided by]:digest:' \
        '--verifier-id[the verifier it must come from]:uri:' \
        '--resource-uri[the resource it must be about]:uri:' \
        '--stage[the stage it must be a decision about]:stage:(pre-release deploy post-deploy)' \
        '--environment[the environment it must be a decision about]:environment:' \
        '--max-age[how long ago it may have been decided (24h)]:duration:' \
        '--now[the clock --max-age counts from (RFC 3339)]:time:' \
        '(-h --help)'{-h,--help}'[show the help]' ;;
    check)
      _arguments -s \
        '*--param[a parameter KEY=VALUE]:parameter:' \
        '*--evidence[evidence NAME=PATH]:evidence:' \
        '--context[the release context]:context:_files -g "*.json(-.)"' \
        "--stage[the stage]:stage:(${stages[*]})" \
        "--type[the release type]:type:(${types[*]})" \
        '--now[at this RFC 3339 time]:time:' \
        '*--plugin-path[look for plugins here first]:directory:_files -/' \
        '(-h --help)'{-h,--help}'[show the help]' \
        '1:check name:' ;;
    bundle)
      _arguments -s \
        '1:subcommand:(build digest lock)' \
        '(-o --output)'{-o,--output}'[build: write a .tar instead of DIR/bundle.json]:file:_files -g "*.tar(-.)"' \
        '--name[build: the bundle name]:name:' \
        '--version[build: its version]:version:' \
        '--entry[build: its policy]:policy:_files -g "*.lua(-.)"' \
        '--lock[lock: the lock file]:file:_files' \
        '(-h --help)'{-h,--help}'[show the help]' \
        '*:bundle:_files' ;;
    serve)
      _arguments -s \
        '--policy[policy file or directory]:policy:_files -g "*.lua(-.)"' \
        '--listen[address to listen on]:host\:port:' \
        '--store[decision log: path, sqlite:PATH or postgresql://...]:store:_files' \
        '--token-file[SHA-256 of each accepted bearer token]:file:_files' \
        '--tls-cert[HTTPS certificate (PEM)]:certificate:_files -g "*.pem(-.)"' \
        '--tls-key[its private key (PEM)]:key:_files -g "*.pem(-.)"' \
        '--signing-key[sign every decision with this key]:key:_files -g "*.pem(-.)"' \
        '--verifier-id[the verifier the attestations name]:uri:' \
        '--resource-uri[the resource they are about]:uri:' \
        '--evidence-root[evidence paths only beneath this directory]:directory:_files -/' \
        '*--live-source[a live source a request may name (github:OWNER/REPO, gitlab:PROJECT, a glob)]:pattern:' \
        '--allow-client-now[take a request'\''s "now" as the evaluation time]' \
        '--port-file[write the port listened on here]:file:_files' \
        '--hooks[deployment hooks: GitHub, GitLab, Argo Rollouts]:file:_files' \
        '*--plugin-path[look for plugins here first]:directory:_files -/' \
        '*--policy-path[where extends and require look next]:directory:_files -/' \
        '--workers[evaluation worker processes]:number:' \
        '--worker-slots[requests a worker holds at once]:number:' \
        '--queue[requests that may wait for a worker]:number:' \
        '--queue-wait[longest wait for a worker]:seconds:' \
        '--drain[how long SIGTERM waits for requests in flight]:seconds:' \
        '--max-body-size[largest request body]:size:' \
        '--max-header-size[memory for a request'"'"'s headers]:size:' \
        '--max-connections[connections at once]:number:' \
        '--request-timeout[a request must arrive whole within]:seconds:' \
        '--retry-after[what a 503 asks to wait]:seconds:' \
        '(-j --jobs)'{-j,--jobs}'[plugin checks at once]:number:' \
        '--check-timeout[time a plugin check may take]:seconds:' \
        '--check-memory[memory a plugin check may use]:size:' \
        '--max-context-size[largest context document]:size:' \
        '--max-evidence-size[largest evidence file a policy reads]:size:' \
        '--max-check-evidence-size[largest evidence file a plugin check reads]:size:' \
        '--max-json-depth[deepest JSON nesting]:number:' \
        '--max-requirements[most requirements a policy may declare]:number:' \
        $limits '(-h --help)'{-h,--help}'[show the help]' ;;
    init)
      _arguments -s \
        '(-h --help)'{-h,--help}'[show the help]' \
        '1::directory:_files -/' ;;
    test)
      _arguments -s \
        '--run[only the tests whose name matches]:pattern:' \
        '--verbose[show each test decision]' \
        '--format[report format]:format:(text tap junit)' \
        '--coverage[report which requirements the tests exercise]' \
        '--fail-under[exit 1 under this coverage percentage]:percent:' \
        '*--plugin-path[look for plugins here first]:directory:_files -/' \
        '*--policy-path[where extends and require look next]:directory:_files -/' \
        $limits '(-h --help)'{-h,--help}'[show the help]' \
        '*:test files or directories:_files' ;;
    lint)
      _arguments -s \
        '--policy[policy file or directory]:policy:_files -g "*.lua(-.)"' \
        '*--context[also check a release context]:context:_files -g "*.json(-.)"' \
        '--format[output format]:format:(text json)' \
        '*--plugin-path[look for plugins here first]:directory:_files -/' \
        '*--policy-path[where extends and require look next]:directory:_files -/' \
        $limits '(-h --help)'{-h,--help}'[show the help]' ;;
    plugins)
      _arguments -s \
        '*--plugin-path[look for plugins here first]:directory:_files -/' \
        '--format[output format]:format:(text json)' \
        '(-h --help)'{-h,--help}'[show the help]' ;;
    history)
      _arguments -s \
        '1::subcommand:(last-good verify export import)' \
        '--log[decision log: path, sqlite:PATH or postgresql://...]:log:_files' \
        '--release[only this release]:name:' \
        '--environment[only this environment]:environment:' \
        "--stage[only this stage]:stage:(${stages[*]})" \
        '*--decision[only this outcome]:decision:(allow warn deny error)' \
        '--since[from this time]:time:' \
        '--until[up to this time]:time:' \
        '--format[output format]:format:(text json)' \
        '*--public-key[verify, last-good: every decision signed by this key]:key:_files -g "*.pub(-.)"' \
        '--threshold[verify: distinct keys that must have signed]:number:' \
        '(-h --help)'{-h,--help}'[show the help]' \
        '*:file:_files' ;;
  esac
}

_relgate "$@"
