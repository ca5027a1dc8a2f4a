// Roles of brainserve's bearer tokens, ordered: each role may do everything
// the one before it may.
//   reader: Forward, GetModel, ListModels and the inference protocol's calls;
//   writer: a reader that may also UpdateParameters and GetParameters;
//   admin:  a writer that may also CreateModel and DeleteModel.
// Which call needs which role is decided in one table, method_roles.h.
#ifndef BRAINSERVE_SERVER_AUTH_ROLE_H_
#define BRAINSERVE_SERVER_AUTH_ROLE_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace brainserve::auth {

enum class Role : uint8_t {
  kReader = 1,
  kWriter = 2,
  kAdmin = 3,
};

// "reader", "writer", "admin".
absl::string_view RoleName(Role role);

// The role spelled exactly as RoleName() does; nullopt otherwise.
std::optional<Role> ParseRole(absl::string_view name);

// Whether a token with role `have` may make a call that needs `need`.
inline bool Grants(Role have, Role need) {
  return static_cast<uint8_t>(have) >= static_cast<uint8_t>(need);
}

}  // namespace brainserve::auth

#endif  // BRAINSERVE_SERVER_AUTH_ROLE_H_
