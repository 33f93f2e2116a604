# The functions an executable defines, one name per line, sorted as `comm` reads them: what
# crates/cvdesk/code-order.txt is checked against.
defined_functions() {
  nm --defined-only "$1" | awk '$2 ~ /^[tTwW]$/ { print $3 }' | LC_ALL=C sort -u
}
