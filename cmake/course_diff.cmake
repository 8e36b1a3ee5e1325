# The difference between two steps as the course shows it: `diff -u` of their C files without
# their `//! [marker]` lines, which only tell the docs where a quote begins and ends.
#   include(course_diff.cmake)
#   course_diff(<diff program> <old file or ""> <old label> <new file> <new label> <work dir> <out var>)
#     Sets <out var> to the diff of two files ("" when they are the same, or every line added
#     when the old file is "").
#   course_step_diff(<diff program> <repository> <old step or ""> <new step> <work dir> <out var>)
#     The diff of two steps' folders: each C file (.c, .h) of either, main.c first, against the
#     file of the same name in the other step (or against nothing, if it has none there).

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

function(course_step_diff diff source old_step new_step work out_var)
  set(names "")
  foreach(step IN ITEMS ${old_step} ${new_step})
    file(GLOB found RELATIVE "${source}/steps/${step}" "${source}/steps/${step}/*.c"
      "${source}/steps/${step}/*.h")
    list(APPEND names ${found})
  endforeach()
  list(REMOVE_DUPLICATES names)
  list(SORT names)
  list(REMOVE_ITEM names main.c)
  list(PREPEND names main.c)
  set(all "")
  foreach(name IN LISTS names)
    set(old "")
    set(old_label "/dev/null")
    if(old_step AND EXISTS "${source}/steps/${old_step}/${name}")
      set(old "${source}/steps/${old_step}/${name}")
      set(old_label "steps/${old_step}/${name}")
    endif()
    set(new "")
    set(new_label "/dev/null")
    if(EXISTS "${source}/steps/${new_step}/${name}")
      set(new "${source}/steps/${new_step}/${name}")
      set(new_label "steps/${new_step}/${name}")
    endif()
    course_diff("${diff}" "${old}" "${old_label}" "${new}" "${new_label}" "${work}" text)
    string(APPEND all "${text}")
  endforeach()
  set(${out_var} "${all}" PARENT_SCOPE)
endfunction()
