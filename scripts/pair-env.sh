# Sourced by the scripts that run `wiselink serve` against `wiselink sim` as processes:
#   pair_with_sim API_PORT SIM_PORT
# points the service at the simulator, quiets its logs, and lifts the per-IP limit (every
# simulated customer calls from the same loopback address, which would otherwise be stopped
# after 20 a minute).
pair_with_sim() {
    export WISELINK__LOG__FILTER=warn
    export WISELINK__WISE__API_URL="http://127.0.0.1:$2"
    export WISELINK__WISE__AUTHORIZE_URL="http://127.0.0.1:$2/oauth/authorize/"
    export WISELINK__SERVER__PORT=$1
    export WISELINK__LIMITS__CODE_SUBMISSIONS_PER_IP_PER_MINUTE=100000
}
