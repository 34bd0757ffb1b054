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
        '*--plugin-path[look for plugins here first]:directory:_files -/' \
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
    test)
      _arguments -s \
        '--format[report format]:format:(text tap junit)' \
        '--coverage[report which requirements the tests exercise]' \
        '*--plugin-path[look for plugins here first]:directory:_files -/' \
        $limits '(-h --help)'{-h,--help}'[show the help]' \
        '*:test files or directories:_files' ;;
    lint)
      _arguments -s \
        '--policy[policy file or directory]:policy:_files -g "*.lua(-.)"' \
        '*--plugin-path[look for plugins here first]:directory:_files -/' \
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
        '(-h --help)'{-h,--help}'[show the help]' \
        '*:file:_files' ;;
  esac
}

_relgate "$@"
