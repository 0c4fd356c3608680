# Shared by scripts/eval/*.sh: sets OUT_FLAG to "--out outputs/eval/<model name>-<suffix>" unless the
# arguments already give --out. Usage: default_out SUFFIX "$@"
default_out() {
  local suffix=$1 model="" arg previous=""
  shift
  OUT_FLAG=()
  for arg in "$@"; do
    case "$arg" in
      --out|--out=*) return 0 ;;
      --model=*) model=${arg#--model=} ;;
    esac
    [[ "$previous" == "--model" ]] && model=$arg
    previous=$arg
  done
  OUT_FLAG=(--out "outputs/eval/$(basename "${model%/}")-$suffix")
}
