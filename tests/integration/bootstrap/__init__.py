"""Integration tests of the bootstrap: real etcd, kube-apiserver, controllers and kwok."""
