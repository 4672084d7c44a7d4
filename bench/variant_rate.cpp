// The baseline of the image variant benchmark (bench/suites/images.py):
// how many variants per second libvips itself makes from one image, called
// in process through images::MakeVariant on N threads, with no HTTP, no
// blob store and no database around it.
//
//   variant_rate IMAGE WxH.format THREADS COUNT   ->  prints "<variants/s>"
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "images/image_variant.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: variant_rate IMAGE WxH.format THREADS COUNT\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  const std::string image = bytes.str();
  const auto spec = tenantd::images::ParseVariantName(argv[2]);
  const int threads = std::atoi(argv[3]);
  const int count = std::atoi(argv[4]);
  if (image.empty() || !spec || threads < 1 || count < 1) {
    std::cerr << "variant_rate: bad arguments\n";
    return 2;
  }
  // One first, outside the clock: libvips starts up.
  if (!tenantd::images::MakeVariant(image, *spec)) {
    std::cerr << "variant_rate: the image was refused\n";
    return 1;
  }
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (next.fetch_add(1) < count) {
        if (!tenantd::images::MakeVariant(image, *spec)) failed = true;
      }
    });
  }
  for (std::thread& t : pool) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failed) return 1;
  std::printf("%.2f\n", count / seconds);
  return 0;
}
