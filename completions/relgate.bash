# bash completion for relgate
_relgate() {
    local cur prev cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    cmd=${COMP_WORDS[1]}

    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "eval test lint plugins check init history --help --version" -- "$cur"))
        return
    fi
    case $prev in
        --stage) COMPREPLY=($(compgen -W "pre-release deploy post-deploy" -- "$cur")); return ;;
        --type) COMPREPLY=($(compgen -W "patch minor major" -- "$cur")); return ;;
        --details) COMPREPLY=($(compgen -W "all failed none" -- "$cur")); return ;;
        --format)
            if [ "$cmd" = eval ]; then
                COMPREPLY=($(compgen -W "json text markdown junit github" -- "$cur"))
            elif [ "$cmd" = test ]; then
                COMPREPLY=($(compgen -W "text tap junit" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "text json" -- "$cur"))
            fi
            return ;;
        --policy) COMPREPLY=($(compgen -f -X '!*.lua' -- "$cur") $(compgen -d -- "$cur")); return ;;
        --context) COMPREPLY=($(compgen -f -X '!*.json' -- "$cur") $(compgen -d -- "$cur") -); return ;;
        --output|--log|--waivers) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --batch) COMPREPLY=($(compgen -f -X '!*.jsonl' -- "$cur") $(compgen -d -- "$cur") -); return ;;
        --plugin-path|--policy-path|--evidence-root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --now) COMPREPLY=($(date -u +%Y-%m-%dT%H:%M:%SZ)); return ;;
        --jobs|-j|--check-timeout|--check-memory|--max-memory|--max-instructions|--timeout|--release|\
        --max-context-size|--max-evidence-size|--max-check-evidence-size|--max-json-depth|--max-requirements|\
        --run|--fail-under) return ;;
    esac
    case $cmd in
        eval)
            COMPREPLY=($(compgen -W "--policy --context --batch --stage --type --format --details --no-color --output
                --log --waivers --now --fail-on-warn --evidence-root --plugin-path --policy-path --jobs --check-timeout
                --check-memory --max-memory --max-context-size --max-evidence-size --max-check-evidence-size --max-json-depth
                --max-requirements --max-instructions --timeout --help" -- "$cur")) ;;
        test) COMPREPLY=($(compgen -W "--run --verbose --format --coverage --fail-under --plugin-path --policy-path --timeout --max-memory --max-instructions --help" -- "$cur") $(compgen -f -- "$cur")) ;;
        lint) COMPREPLY=($(compgen -W "--policy --format --plugin-path --policy-path --timeout --max-memory --max-instructions --help" -- "$cur")) ;;
        plugins) COMPREPLY=($(compgen -W "--plugin-path --format --help" -- "$cur")) ;;
        check) COMPREPLY=($(compgen -W "--param --evidence --context --stage --type --now --plugin-path --help" -- "$cur")) ;;
        init) COMPREPLY=($(compgen -d -- "$cur")) ;;
        history)
            if [ "$COMP_CWORD" -eq 2 ]; then
                COMPREPLY=($(compgen -W "last-good verify export import --log --release --environment --stage --decision --since --until --format --help" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "--log --release --environment --stage --decision --since --until --format --help" -- "$cur"))
            fi ;;
    esac
}
complete -F _relgate relgate
