# bash completion for relgate (installed as share/bash-completion/completions/relgate).
# Files and directories complete as bash completes them (-o filenames: a directory
# gets its '/' and no space, so `--policy pol<Tab>` descends into policies/).

_relgate_files() {   # _relgate_files PATTERN: files matching PATTERN, and directories
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    if [ -n "$1" ]; then
        COMPREPLY=($(compgen -f -X "!$1" -- "$cur") $(compgen -d -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

_relgate_dirs() {
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -d -- "$cur"))
}

_relgate() {
    local cur prev cmd sub
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    cmd=${COMP_WORDS[1]}
    sub=${COMP_WORDS[2]}

    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "eval test lint plugins history render verify check init bundle serve --help --version" -- "$cur"))
        return
    fi
    # --format FMT=PATH (eval, render): a path after the '='.
    if [ "$prev" = --format ] && [[ $cur == *=* ]] && { [ "$cmd" = eval ] || [ "$cmd" = render ]; }; then
        local fmt=${cur%%=*}
        cur=${cur#*=}
        _relgate_files ""
        COMPREPLY=("${COMPREPLY[@]/#/$fmt=}")
        return
    fi
    case $prev in
        --stage) COMPREPLY=($(compgen -W "pre-release deploy post-deploy" -- "$cur")); return ;;
        --type) COMPREPLY=($(compgen -W "patch minor major" -- "$cur")); return ;;
        --details) COMPREPLY=($(compgen -W "all failed none" -- "$cur")); return ;;
        --color|--colour) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
        --decision) COMPREPLY=($(compgen -W "allow warn deny error" -- "$cur")); return ;;
        --format)
            case $cmd in
                eval|render) COMPREPLY=($(compgen -W "json text markdown junit github" -- "$cur")) ;;
                test) COMPREPLY=($(compgen -W "text tap junit" -- "$cur")) ;;
                *) COMPREPLY=($(compgen -W "text json" -- "$cur")) ;;
            esac
            return ;;
        --policy) _relgate_files '*.lua'; return ;;
        --context|--batch)
            [ "$prev" = --context ] && _relgate_files '*.json' || _relgate_files '*.jsonl'
            # '-' (standard input) only when asked for
            [ "$cur" = - ] && COMPREPLY+=(-)
            return ;;
        --output|--log|--waivers|--attest|--attestation|--lock|-o|--store|--token-file|--port-file|--hooks) _relgate_files ""; return ;;
        --entry) _relgate_files '*.lua'; return ;;
        --signing-key|--public-key|--tls-cert|--tls-key) _relgate_files '*.pem'; return ;;
        --plugin-path|--policy-path|--evidence-root|--save-evidence) _relgate_dirs; return ;;
        --now|--since|--until) COMPREPLY=($(date -u +%Y-%m-%dT%H:%M:%SZ)); return ;;
        --jobs|-j|--check-timeout|--check-memory|--max-memory|--max-instructions|--timeout|--release|\
        --environment|--max-context-size|--max-evidence-size|--max-check-evidence-size|--max-json-depth|\
        --max-requirements|--verifier-id|--resource-uri|--max-age|--live-source|--threshold|--subject-digest|--policy-digest|--run|--fail-under|\
        --name|--version|\
        --listen|--workers|--worker-slots|--queue|--queue-wait|--drain|--max-body-size|--max-header-size|--max-connections|--request-timeout|\
        --retry-after) return ;;
    esac
    case $cmd in
        eval)
            COMPREPLY=($(compgen -W "--policy --context --batch --stage --type --format --color --no-color --details
                --output --log --waivers --now --fail-on-warn --evidence-root --save-evidence --plugin-path --policy-path --jobs
                --check-timeout --check-memory --max-memory --max-context-size --max-evidence-size
                --max-check-evidence-size --max-json-depth --max-requirements --max-instructions --timeout
                --attest --signing-key --verifier-id --resource-uri --help" -- "$cur")) ;;
        verify) COMPREPLY=($(compgen -W "--attestation --public-key --threshold --subject-digest --policy-digest
                --verifier-id --resource-uri --stage --environment --max-age --now --help" -- "$cur")) ;;
        render)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--format --color --no-color --fail-on-warn --help" -- "$cur"))
            else
                _relgate_files '*.json'
            fi ;;
        test)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--run --verbose --format --coverage --fail-under --plugin-path --policy-path --timeout
                    --max-memory --max-instructions --help" -- "$cur"))
            else
                _relgate_files '*.lua'
            fi ;;
        lint) COMPREPLY=($(compgen -W "--policy --context --format --plugin-path --policy-path --timeout --max-memory --max-instructions --help" -- "$cur")) ;;
        plugins) COMPREPLY=($(compgen -W "--plugin-path --format --help" -- "$cur")) ;;
        check) COMPREPLY=($(compgen -W "--param --evidence --context --stage --type --now --plugin-path --help" -- "$cur")) ;;
        init) COMPREPLY=($(compgen -d -- "$cur")) ;;
        bundle)
            if [ "$COMP_CWORD" -eq 2 ]; then
                COMPREPLY=($(compgen -W "build digest lock --output --name --version --entry --lock --help" -- "$cur"))
            elif [[ $cur == -* ]]; then
                case $sub in
                    build) COMPREPLY=($(compgen -W "--output --name --version --entry --help" -- "$cur")) ;;
                    lock) COMPREPLY=($(compgen -W "--lock --help" -- "$cur")) ;;
                    *) COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
                esac
            elif [ "$sub" = build ]; then
                _relgate_dirs
            else
                _relgate_files '*.tar'   # a .tar, or a bundle directory
            fi ;;
        serve)
            COMPREPLY=($(compgen -W "--policy --listen --store --token-file --tls-cert --tls-key --signing-key
                --verifier-id --resource-uri --evidence-root --live-source --allow-client-now --port-file --hooks --plugin-path --policy-path --workers --worker-slots --queue
                --queue-wait --drain --max-body-size --max-header-size --max-connections --request-timeout --retry-after
                --jobs --check-timeout --check-memory --max-context-size --max-evidence-size --max-check-evidence-size
                --max-json-depth --max-requirements --max-memory --max-instructions --timeout --help" -- "$cur")) ;;
        history)
            if [ "$COMP_CWORD" -eq 2 ]; then
                COMPREPLY=($(compgen -W "last-good verify export import --log --release --environment --stage --decision --since --until --format --public-key --threshold --help" -- "$cur"))
            elif [ "$sub" = import ] && [[ $cur != -* ]]; then
                _relgate_files '*.jsonl'
            else
                COMPREPLY=($(compgen -W "--log --release --environment --stage --decision --since --until --format --public-key --threshold --help" -- "$cur"))
            fi ;;
    esac
}
complete -F _relgate relgate
