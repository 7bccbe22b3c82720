#include <cstdio>

int main() {
  std::puts("todo-api: under construction");
  return 0;
}
