# bash completion for relgate
_relgate() {
    local cur prev cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    cmd=${COMP_WORDS[1]}

    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "eval test lint plugins history verify --help --version" -- "$cur"))
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
        --output|--log|--waivers|--attest|--attestation) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --signing-key|--public-key) COMPREPLY=($(compgen -f -X '!*.pem' -- "$cur") $(compgen -f -X '!*.pub' -- "$cur") $(compgen -d -- "$cur")); return ;;
        --batch) COMPREPLY=($(compgen -f -X '!*.jsonl' -- "$cur") $(compgen -d -- "$cur") -); return ;;
        --plugin-path|--evidence-root|--save-evidence) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --now) COMPREPLY=($(date -u +%Y-%m-%dT%H:%M:%SZ)); return ;;
        --jobs|-j|--check-timeout|--check-memory|--max-memory|--max-instructions|--timeout|--release|\
        --max-context-size|--max-evidence-size|--max-check-evidence-size|--max-json-depth|--max-requirements|\
        --verifier-id|--resource-uri|--threshold|--subject-digest|--policy-digest) return ;;
    esac
    case $cmd in
        eval)
            COMPREPLY=($(compgen -W "--policy --context --batch --stage --type --format --details --no-color --output
                --log --waivers --now --fail-on-warn --evidence-root --save-evidence --plugin-path --jobs --check-timeout
                --check-memory --max-memory --max-context-size --max-evidence-size --max-check-evidence-size --max-json-depth
                --max-requirements --max-instructions --timeout --attest --signing-key --verifier-id --resource-uri
                --help" -- "$cur")) ;;
        verify) COMPREPLY=($(compgen -W "--attestation --public-key --threshold --subject-digest --policy-digest
                --verifier-id --resource-uri --help" -- "$cur")) ;;
        test) COMPREPLY=($(compgen -W "--format --coverage --plugin-path --timeout --max-memory --max-instructions --help" -- "$cur") $(compgen -f -- "$cur")) ;;
        lint) COMPREPLY=($(compgen -W "--policy --plugin-path --timeout --max-memory --max-instructions --help" -- "$cur")) ;;
        plugins) COMPREPLY=($(compgen -W "--plugin-path --format --help" -- "$cur")) ;;
        history)
            if [ "$COMP_CWORD" -eq 2 ]; then
                COMPREPLY=($(compgen -W "last-good verify export import --log --release --environment --stage --decision --since --until --format --help" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "--log --release --environment --stage --decision --since --until --format --help" -- "$cur"))
            fi ;;
    esac
}
complete -F _relgate relgate
