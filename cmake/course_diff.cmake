# The difference between two steps' main.c as the course shows it: `diff -u` of the two files
# without their `//! [marker]` lines, which only tell the docs where a quote begins and ends.
#   include(course_diff.cmake)
#   course_diff(<diff program> <old file or ""> <old label> <new file> <new label> <work dir> <out var>)
# Sets <out var> to the diff text ("" when the files are the same, or every line added when
# the old file is "").

function(course_strip_markers in out)
  if(in STREQUAL "")
    file(WRITE "${out}" "")
    return()
  endif()
  file(READ "${in}" text)
  string(REGEX REPLACE "\n[ \t]*//! \\[[a-z0-9-]+\\][ \t]*" "" text "\n${text}")
  string(SUBSTRING "${text}" 1 -1 text)
  file(WRITE "${out}" "${text}")
endfunction()

function(course_diff diff old old_label new new_label work out_var)
  file(MAKE_DIRECTORY "${work}")
  course_strip_markers("${old}" "${work}/old.c")
  course_strip_markers("${new}" "${work}/new.c")
  # --label keeps the build machine's paths and the files' times out of the result.
  execute_process(
    COMMAND "${diff}" -u --label "${old_label}" --label "${new_label}" "${work}/old.c" "${work}/new.c"
    OUTPUT_VARIABLE text
    ERROR_VARIABLE error
    RESULT_VARIABLE result)
  if(result EQUAL 0)
    set(text "")
  elseif(NOT result EQUAL 1)
    message(FATAL_ERROR "diff failed (${result}): ${error}")
  endif()
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# Counts the lines a diff adds and removes (its "+" and "-" lines, not the file headers).
function(course_diff_size text out_var)
  string(REGEX MATCHALL "\n[-+]" changed "\n${text}")
  string(REGEX MATCHALL "\n(---|\\+\\+\\+) " headers "\n${text}")
  list(LENGTH changed total)
  list(LENGTH headers file_lines)
  math(EXPR size "${total} - ${file_lines}")
  set(${out_var} ${size} PARENT_SCOPE)
endfunction()
