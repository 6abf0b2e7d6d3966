# Warnings are errors; sanitizers on request (make check builds both ways).
add_compile_options(-Wall -Wextra -Werror -Wshadow -Wformat=2
  -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
  -fno-strict-aliasing)
if(HOTLINE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
