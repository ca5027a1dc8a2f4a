#include "client/loadgen/channels.h"

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/support/channel_arguments.h"

namespace brainserve::loadgen {

absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> OpenChannels(
    const std::string& target, const client::ChannelSecurity& security,
    int count, absl::Duration connect_timeout) {
  if (count < 1)
    return absl::InvalidArgumentError("--connections must be >= 1");
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  const auto deadline =
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(absl::ToInt64Milliseconds(connect_timeout));
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("brainserve.loadgen.connection_index", i);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        client::CreateSecureChannel(target, security, args);
    if (!channel.ok()) return channel.status();
    channels.push_back(*std::move(channel));
    if (!channels.back()->WaitForConnected(deadline)) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", target, " within ",
                       absl::FormatDuration(connect_timeout)));
    }
  }
  return channels;
}

}  // namespace brainserve::loadgen
