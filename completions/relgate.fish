# fish completion for relgate (installed as share/fish/vendor_completions.d/relgate.fish).

set -l commands eval test lint plugins history render verify check init bundle serve
complete -c relgate -f
complete -c relgate -n "not __fish_seen_subcommand_from $commands" -a eval -d 'evaluate a policy for one release and stage'
complete -c relgate -n "not __fish_seen_subcommand_from $commands" -a test -d 'run policy tests with mocked plugin checks'
complete -c relgate -n "not __fish_seen_subcommand_from $commands" -a lint -d 'check a policy without running any check'
complete -c relgate -n "not __fish_seen_subcommand_from $commands" -a plugins -d 'list the check plugins and their parameters'
complete -c relgate -n "not __fish_seen_subcommand_from $commands" -a history -d 'list decisions; last-good: the rollback target'
complete -c relgate -n "not __fish_seen_subcommand_from $commands" -a render -d 'render a saved decision in other formats'
complete -c relgate -n "not __fish_seen_subcommand_from $commands" -a verify -d 'check a signed decision before acting on it'
complete -c relgate -n "not __fish_seen_subcommand_from $commands" -a check -d 'run one plugin check with given parameters and evidence'
complete -c relgate -n "not __fish_seen_subcommand_from $commands" -a init -d 'write a team policy to start from'
complete -c relgate -n "not __fish_seen_subcommand_from $commands" -a bundle -d 'make a policy bundle, print its digest, pin it in relgate.lock'
complete -c relgate -n "not __fish_seen_subcommand_from $commands" -a serve -d 'answer decisions over HTTP'
complete -c relgate -n "not __fish_seen_subcommand_from $commands" -s V -l version -d 'show the version'
complete -c relgate -s h -l help -d 'show the help'

# eval
set -l e "__fish_seen_subcommand_from eval"
complete -c relgate -n $e -l policy -r -F -d 'policy file (.lua) or directory'
complete -c relgate -n $e -l context -r -F -d 'release context (JSON); - reads standard input'
complete -c relgate -n $e -l batch -r -F -d 'one context per line'
complete -c relgate -n $e -l stage -x -a 'pre-release deploy post-deploy' -d 'the stage'
complete -c relgate -n $e -l type -x -a 'patch minor major' -d 'the release type'
complete -c relgate -n $e -l format -x -a 'json text markdown junit github' -d 'FMT or FMT=PATH (repeatable)'
complete -c relgate -n $e -l color -x -a 'auto always never' -d 'colours in text'
complete -c relgate -n $e -l no-color -d 'no colours in text'
complete -c relgate -n $e -l details -x -a 'all failed none' -d 'which results carry details'
complete -c relgate -n $e -l output -r -F -d 'write the decision to a file'
complete -c relgate -n $e -l log -r -F -d 'decision log: path, sqlite:PATH or postgresql://...'
complete -c relgate -n $e -l waivers -r -F -d 'more waivers (JSON)'
complete -c relgate -n $e -l now -x -d 'evaluate at this RFC 3339 time'
complete -c relgate -n $e -l fail-on-warn -d 'exit 1 on warn'
complete -c relgate -n $e -l evidence-root -x -a '(__fish_complete_directories)' -d 'evidence paths stay inside'
complete -c relgate -n $e -l plugin-path -x -a '(__fish_complete_directories)' -d 'look for plugins here first'
complete -c relgate -n $e -l save-evidence -x -a '(__fish_complete_directories)' -d 'record what the checks read, for an offline replay'
complete -c relgate -n $e -l attest -r -F -d 'also sign the decision into this .intoto.jsonl'
complete -c relgate -n $e -l signing-key -r -F -d 'private key (PEM) that signs'
complete -c relgate -n $e -l verifier-id -x -d 'the verifier the attestation names'
complete -c relgate -n $e -l resource-uri -x -d 'the resource the attestation is about'
complete -c relgate -n $e -s j -l jobs -x -d 'plugin checks at once, batch workers'
complete -c relgate -n $e -l check-timeout -x -d 'time a plugin check may take'
complete -c relgate -n $e -l check-memory -x -d 'memory a plugin check may use'
complete -c relgate -n $e -l max-context-size -x -d 'largest context'
complete -c relgate -n $e -l max-evidence-size -x -d 'largest evidence file a policy reads'
complete -c relgate -n $e -l max-check-evidence-size -x -d 'largest evidence file a plugin check reads'
complete -c relgate -n $e -l max-json-depth -x -d 'deepest JSON nesting'
complete -c relgate -n $e -l max-requirements -x -d 'most requirements'

# limits: eval, test, lint
for c in eval test lint
    complete -c relgate -n "__fish_seen_subcommand_from $c" -l timeout -x -d 'policy wall-time limit'
    complete -c relgate -n "__fish_seen_subcommand_from $c" -l max-memory -x -d 'policy memory limit'
    complete -c relgate -n "__fish_seen_subcommand_from $c" -l max-instructions -x -d 'policy instruction limit'
end

# render
set -l r "__fish_seen_subcommand_from render"
complete -c relgate -n $r -F -d 'a decision (JSON)'
complete -c relgate -n $r -l format -x -a 'json text markdown junit github' -d 'FMT or FMT=PATH (repeatable)'
complete -c relgate -n $r -l color -x -a 'auto always never' -d 'colours in text'
complete -c relgate -n $r -l no-color -d 'no colours in text'
complete -c relgate -n $r -l fail-on-warn -d 'exit 1 on warn'

# verify
set -l v "__fish_seen_subcommand_from verify"
complete -c relgate -n $v -l attestation -r -F -d 'the envelope or .intoto.jsonl file'
complete -c relgate -n $v -l public-key -r -F -d 'a trusted public key (PEM)'
complete -c relgate -n $v -l threshold -x -d 'distinct trusted keys that must have signed'
complete -c relgate -n $v -l subject-digest -x -d 'an artifact it must name (sha256:HEX)'
complete -c relgate -n $v -l policy-digest -x -d 'the policy it must have been decided by'
complete -c relgate -n $v -l verifier-id -x -d 'the verifier it must come from'
complete -c relgate -n $v -l resource-uri -x -d 'the resource it must be about'
complete -c relgate -n $v -l stage -x -a 'pre-release deploy post-deploy' -d 'the stage it must be a decision about'
complete -c relgate -n $v -l environment -x -d 'the environment it must be a decision about'
complete -c relgate -n $v -l max-age -x -d 'how long ago it may have been decided (24h)'
complete -c relgate -n $v -l now -x -d 'the clock --max-age counts from (RFC 3339)'

# check, init
set -l k "__fish_seen_subcommand_from check"
complete -c relgate -n $k -l param -x -d 'a parameter KEY=VALUE'
complete -c relgate -n $k -l evidence -x -d 'evidence NAME=PATH'
complete -c relgate -n $k -l context -r -F -d 'the release context'
complete -c relgate -n $k -l stage -x -a 'pre-release deploy post-deploy' -d 'the stage'
complete -c relgate -n $k -l type -x -a 'patch minor major' -d 'the release type'
complete -c relgate -n $k -l now -x -d 'at this RFC 3339 time'
complete -c relgate -n "__fish_seen_subcommand_from init" -x -a '(__fish_complete_directories)' -d 'the new policy folder'

# bundle
set -l b "__fish_seen_subcommand_from bundle"
complete -c relgate -n "$b; and not __fish_seen_subcommand_from build digest lock" -x -a 'build digest lock'
complete -c relgate -n $b -s o -l output -r -F -d 'build: write a .tar instead of DIR/bundle.json'
complete -c relgate -n $b -l name -x -d 'build: the bundle name'
complete -c relgate -n $b -l version -x -d 'build: its version'
complete -c relgate -n $b -l entry -r -F -d 'build: its policy'
complete -c relgate -n $b -l lock -r -F -d 'lock: the lock file'

# test, lint, plugins
complete -c relgate -n "__fish_seen_subcommand_from test" -F
complete -c relgate -n "__fish_seen_subcommand_from test" -l run -x -d 'only the tests whose name matches'
complete -c relgate -n "__fish_seen_subcommand_from test" -l verbose -d 'show each test decision'
complete -c relgate -n "__fish_seen_subcommand_from test" -l format -x -a 'text tap junit' -d 'report format'
complete -c relgate -n "__fish_seen_subcommand_from test" -l coverage -d 'which requirements the tests exercise'
complete -c relgate -n "__fish_seen_subcommand_from test" -l fail-under -x -d 'exit 1 under this coverage percentage'
complete -c relgate -n "__fish_seen_subcommand_from lint" -l policy -r -F -d 'policy file or directory'
complete -c relgate -n "__fish_seen_subcommand_from lint" -l format -x -a 'text json' -d 'output format'
complete -c relgate -n "__fish_seen_subcommand_from lint" -l context -r -F -d 'also check a release context'
for c in test lint plugins check
    complete -c relgate -n "__fish_seen_subcommand_from $c" -l plugin-path -x -a '(__fish_complete_directories)' -d 'look for plugins here first'
end
for c in eval test lint
    complete -c relgate -n "__fish_seen_subcommand_from $c" -l policy-path -x -a '(__fish_complete_directories)' -d 'where extends and require look next'
end
complete -c relgate -n "__fish_seen_subcommand_from plugins" -l format -x -a 'text json' -d 'output format'

# history
set -l h "__fish_seen_subcommand_from history"
complete -c relgate -n "$h; and not __fish_seen_subcommand_from last-good verify export import" -a 'last-good verify export import'
complete -c relgate -n $h -l log -r -F -d 'decision log: path, sqlite:PATH or postgresql://...'
complete -c relgate -n $h -l release -x -d 'only this release'
complete -c relgate -n $h -l environment -x -d 'only this environment'
complete -c relgate -n $h -l stage -x -a 'pre-release deploy post-deploy' -d 'only this stage'
complete -c relgate -n $h -l decision -x -a 'allow warn deny error' -d 'only this outcome'
complete -c relgate -n $h -l since -x -d 'from this time'
complete -c relgate -n $h -l until -x -d 'up to this time'
complete -c relgate -n $h -l format -x -a 'text json' -d 'output format'
complete -c relgate -n $h -l public-key -r -F -d 'verify, last-good: every decision signed by this key'
complete -c relgate -n $h -l threshold -x -d 'verify: distinct keys that must have signed'

# serve
set -l s "__fish_seen_subcommand_from serve"
complete -c relgate -n $s -l policy -r -F -d 'policy file (.lua) or directory'
complete -c relgate -n $s -l listen -x -d 'HOST:PORT to listen on'
complete -c relgate -n $s -l store -r -F -d 'decision log: path, sqlite:PATH or postgresql://...'
complete -c relgate -n $s -l token-file -r -F -d 'SHA-256 of each accepted bearer token'
complete -c relgate -n $s -l tls-cert -r -F -d 'HTTPS certificate (PEM)'
complete -c relgate -n $s -l tls-key -r -F -d 'its private key (PEM)'
complete -c relgate -n $s -l signing-key -r -F -d 'sign every decision with this key'
complete -c relgate -n $s -l verifier-id -x -d 'the verifier the attestations name'
complete -c relgate -n $s -l resource-uri -x -d 'the resource they are about'
complete -c relgate -n $s -l evidence-root -x -a '(__fish_complete_directories)' -d 'evidence paths only beneath it'
complete -c relgate -n $s -l live-source -x -d 'a live source a request may name (github:OWNER/REPO, a glob)'
complete -c relgate -n $s -l allow-client-now -d 'take a request\'s "now" as the evaluation time'
complete -c relgate -n $s -l port-file -r -F -d 'write the port listened on here'
complete -c relgate -n $s -l hooks -r -F -d 'deployment hooks: GitHub, GitLab, Argo Rollouts'
complete -c relgate -n $s -l plugin-path -x -a '(__fish_complete_directories)' -d 'look for plugins here first'
complete -c relgate -n $s -l policy-path -x -a '(__fish_complete_directories)' -d 'where extends and require look next'
complete -c relgate -n $s -l workers -x -d 'evaluation worker processes'
complete -c relgate -n $s -l worker-slots -x -d 'requests a worker holds at once'
complete -c relgate -n $s -l queue -x -d 'requests that may wait for a worker'
complete -c relgate -n $s -l queue-wait -x -d 'longest wait for a worker'
complete -c relgate -n $s -l drain -x -d 'how long SIGTERM waits for requests in flight'
complete -c relgate -n $s -l max-body-size -x -d 'largest request body'
complete -c relgate -n $s -l max-header-size -x -d 'memory for a request\'s headers'
complete -c relgate -n $s -l max-connections -x -d 'connections at once'
complete -c relgate -n $s -l request-timeout -x -d 'a request must arrive whole within'
complete -c relgate -n $s -l retry-after -x -d 'what a 503 asks to wait'
complete -c relgate -n $s -s j -l jobs -x -d 'plugin checks at once'
complete -c relgate -n $s -l check-timeout -x -d 'time a plugin check may take'
complete -c relgate -n $s -l check-memory -x -d 'memory a plugin check may use'
complete -c relgate -n $s -l max-context-size -x -d 'largest context document'
complete -c relgate -n $s -l max-evidence-size -x -d 'largest evidence file a policy reads'
complete -c relgate -n $s -l max-check-evidence-size -x -d 'largest evidence file a plugin check reads'
complete -c relgate -n $s -l max-json-depth -x -d 'deepest JSON nesting'
complete -c relgate -n $s -l max-requirements -x -d 'most requirements a policy may declare'
complete -c relgate -n $s -l max-memory -x -d 'policy memory limit'
complete -c relgate -n $s -l max-instructions -x -d 'policy instruction limit'
complete -c relgate -n $s -l timeout -x -d 'policy wall-time limit'
