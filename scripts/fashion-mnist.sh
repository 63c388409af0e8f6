#!/usr/bin/env bash
# Installs Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, MIT licence) from Debian's package
# `dataset-fashion-mnist` into /usr/share/datasets/fashion-mnist, where the fine-tuning
# experiment's `paper` profile reads it (targets/src/fashion.rs; SOCBENCH_FASHION_MNIST overrides
# the folder). Needs apt (Debian or Ubuntu) and root or sudo.
set -euo pipefail
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq dataset-fashion-mnist
ls -l /usr/share/datasets/fashion-mnist
