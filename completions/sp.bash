# bash completion for streampipe: `sp` and every `sp-*` program.
# Generic: the option table comes from the program itself (`PROG --complete` prints
# NAME<TAB>ARGUMENT<TAB>DESCRIPTION per option), so it is never out of date.
# Install: copy to /usr/share/bash-completion/completions/ (one link per program name),
# or `source completions/sp.bash` in ~/.bashrc.

_sp_complete_program() {
  local prog=$1 cur=$2 prev=$3 table arg choices
  table=$("$prog" --complete 2>/dev/null) || return 0
  if [[ $prev == -* ]]; then
    arg=$(awk -F'\t' -v o="$prev" '$1 == o { print $2; exit }' <<<"$table")
    if [[ -n $arg ]]; then
      case $arg in
        \{*\})
          choices=${arg#\{}
          choices=${choices%\}}
          mapfile -t COMPREPLY < <(compgen -W "${choices//,/ }" -- "$cur")
          ;;
        *FILE* | *PATH* | *DIR*)
          compopt -o filenames 2>/dev/null
          mapfile -t COMPREPLY < <(compgen -f -- "$cur")
          ;;
        *) COMPREPLY=() ;;
      esac
      return 0
    fi
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(awk -F'\t' '$1 ~ /^-/ { print $1 }' <<<"$table")" -- "$cur")
  else
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
  return 0
}

_sp() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} cmd=${COMP_WORDS[0]##*/}
  if [[ $cmd == sp ]]; then
    local front=${COMP_WORDS[0]}
    if ((COMP_CWORD == 1)); then
      mapfile -t COMPREPLY < <(compgen -W "$("$front" --complete 2>/dev/null | cut -f1)" -- "$cur")
      return 0
    fi
    local tool=${COMP_WORDS[1]}
    if [[ $tool == help ]]; then
      ((COMP_CWORD == 2)) &&
        mapfile -t COMPREPLY < <(compgen -W "$("$front" --complete 2>/dev/null | awk -F'\t' '$1 !~ /^-/ && $1 != "help" { print $1 }')" -- "$cur")
      return 0
    fi
    local prog="sp-$tool"
    [[ $front == */* && -x ${front%/*}/sp-$tool ]] && prog=${front%/*}/sp-$tool
    _sp_complete_program "$prog" "$cur" "$prev"
  else
    _sp_complete_program "${COMP_WORDS[0]}" "$cur" "$prev"
  fi
}

complete -F _sp sp sp-ingest sp-validate sp-enrich sp-filter sp-agg sp-match sp-learn sp-predict sp-sink sp-serve
