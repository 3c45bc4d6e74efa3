# Writes the text file IN into OUT as a C++ array of string views (pieces under 64 KiB, the longest
# string literal ISO C++ compilers must accept): `midisift::cli::detail::kNAME`, joined at run time.
# Used for the installed Chart.js (Debian libjs-chart.js), inlined into `midisift report` pages.
file(READ "${IN}" content)
string(LENGTH "${content}" length)
set(pieces "")
set(offset 0)
while(offset LESS length)
  string(SUBSTRING "${content}" ${offset} 60000 piece)
  string(APPEND pieces "    R\"midisift(${piece})midisift\",\n")
  math(EXPR offset "${offset} + 60000")
endwhile()
file(WRITE "${OUT}" "// Generated from ${IN} by cli/embed_text.cmake; do not edit.\n#include <string_view>\n\nnamespace midisift::cli::detail {\nextern const std::string_view k${NAME}[];\nextern const std::size_t k${NAME}Pieces;\nconst std::string_view k${NAME}[] = {\n${pieces}};\nconst std::size_t k${NAME}Pieces = sizeof(k${NAME}) / sizeof(k${NAME}[0]);\n}  // namespace midisift::cli::detail\n")
