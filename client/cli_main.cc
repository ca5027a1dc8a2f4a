// brainserve-cli: command-line client for brainserve.v1.ModelService.
// See `brainserve-cli help` and client/cli.h.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "client/cli.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::vector<std::string> args(argv + 1, argv + argc);
  const int code = brainserve::client::RunCli(
      args, std::cin, std::cout, std::cerr, isatty(STDIN_FILENO) == 1);
  std::cout.flush();
  return code;
}
