// Command kubeadm-preflight runs kubeadm's own node preflight checks, as `kubeadm init` or
// `kubeadm join` builds them from a configuration file, and writes one JSON record per check:
// its name and the warnings and errors it returned. The side-by-side tests compare these
// verdicts with the node tier's, check by check, on the same host.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/util/sets"
	utilsexec "k8s.io/utils/exec"

	"k8s.io/kubernetes/cmd/kubeadm/app/preflight"
	configutil "k8s.io/kubernetes/cmd/kubeadm/app/util/config"
)

type record struct {
	ID       string   `json:"id"`
	Warnings []string `json:"warnings"`
	Errors   []string `json:"errors"`
}

func main() {
	role := flag.String("role", "control-plane", "control-plane (kubeadm init) or worker (kubeadm join)")
	config := flag.String("config", "", "kubeadm configuration file")
	out := flag.String("out", "", "where to write the JSON records (stdout is kubeadm's)")
	flag.Parse()
	checks, err := nodeChecks(*role, *config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	records := []record{}
	for _, check := range checks {
		warnings, errs := check.Check()
		records = append(records, record{check.Name(), messages(warnings), messages(errs)})
	}
	data, err := json.Marshal(records)
	if err == nil {
		err = os.WriteFile(*out, data, 0o600)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

// nodeChecks is what `kubeadm init|join phase preflight` runs: the root check first, then
// InitNodeChecks or JoinNodeChecks for the configuration, defaulted as kubeadm defaults it.
func nodeChecks(role, config string) ([]preflight.Checker, error) {
	execer := utilsexec.New()
	none := sets.New[string]()
	opts := configutil.LoadOrDefaultConfigurationOptions{}
	root := []preflight.Checker{preflight.IsPrivilegedUserCheck{}}
	if role == "worker" {
		cfg, err := configutil.LoadJoinConfigurationFromFile(config, opts)
		if err != nil {
			return nil, err
		}
		checks, err := preflight.JoinNodeChecks(execer, cfg, none)
		return append(root, checks...), err
	}
	cfg, err := configutil.LoadInitConfigurationFromFile(config, opts)
	if err != nil {
		return nil, err
	}
	checks, err := preflight.InitNodeChecks(execer, cfg, none, false, false)
	return append(root, checks...), err
}

func messages(errs []error) []string {
	texts := []string{}
	for _, err := range errs {
		texts = append(texts, err.Error())
	}
	return texts
}
