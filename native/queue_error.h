// A setup failure with the errno and the step that failed, turned into a typed error in TypeScript.
#pragma once

#include <stdexcept>
#include <string>

namespace meridio {

class QueueError : public std::runtime_error {
 public:
  QueueError(const std::string& step, int error);
  const std::string& step() const { return step_; }
  int error() const { return error_; }

 private:
  std::string step_;
  int error_;
};

}  // namespace meridio
