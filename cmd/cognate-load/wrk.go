package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// wrkScenarios are the scenarios whose requests are fixed (the same bytes
// each time for one user), so a wrk script can replay them.
var wrkScenarios = map[string]string{
	scGetIDExisting:  targetGetID,
	scGetIDNew:       targetGetID,
	scCredentials:    targetGetCredentials,
	scSignInRefresh:  targetInitiateAuth,
	scSignInPassword: targetInitiateAuth,
}

// wrkOptions are the flags of wrk-script.
type wrkOptions struct {
	devJSON  string
	t        target
	scenario string
	users    int
}

func wrkScriptCmd() *cobra.Command {
	var o wrkOptions
	cmd := &cobra.Command{
		Use:   "wrk-script",
		Short: "Set up users and print a wrk Lua script that replays one scenario's requests",
		Long: `Set up users as "run" does, then print a Lua script for wrk (Debian's wrk
package) that sends one scenario's requests, round robin over the users,
each thread starting at a different user. Only scenarios whose requests are
fixed bytes can be replayed: ` + strings.Join(slices.Sorted(maps.Keys(wrkScenarios)), ", ") + `.

  cognate-load wrk-script --dev-json data/dev.json --scenario credentials > credentials.lua
  wrk -t 2 -c 64 -d 10s --latency -s credentials.lua http://127.0.0.1:8080/

wrk counts answers other than 2xx and 3xx ("Non-2xx or 3xx responses").
ID tokens expire after an hour: make a new script after that.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeWrkScript(cmd, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.devJSON, "dev-json", "", "the <data>/dev.json written by 'cognate serve --dev'")
	fl.StringVar(&o.t.Endpoint, "endpoint", "", "server URL (default: from --dev-json)")
	fl.StringVar(&o.scenario, "scenario", scCredentials, "one of "+strings.Join(slices.Sorted(maps.Keys(wrkScenarios)), ", "))
	fl.IntVar(&o.users, "users", 32, "distinct users the script cycles through")
	return cmd
}

func writeWrkScript(cmd *cobra.Command, o wrkOptions) error {
	target, ok := wrkScenarios[o.scenario]
	if !ok {
		return fmt.Errorf("scenario %q cannot be replayed by wrk (want one of %s)", o.scenario, strings.Join(slices.Sorted(maps.Keys(wrkScenarios)), ", "))
	}
	if o.users < 1 {
		return errors.New("--users must be at least 1")
	}
	t, err := resolveTarget(o.t, o.devJSON)
	if err != nil {
		return err
	}
	c := &client{endpoint: t.Endpoint, region: t.Region, hc: newHTTPClient(4, time.Minute),
		adminID: t.AdminAccessKeyID, adminSecret: t.AdminSecretAccessKey}
	defer c.hc.CloseIdleConnections()
	f, err := setup(cmd.Context(), t, c, o.users, needsOf([]string{o.scenario}))
	if err != nil {
		return err
	}
	var bodies [][]byte
	if o.scenario == scGetIDNew {
		// A guest GetId without Logins: the same body makes a new identity
		// every time.
		b, err := json.Marshal(map[string]any{"IdentityPoolId": t.IdentityPoolID})
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
	}
	for i := range f.users {
		b, err := json.Marshal(f.requestBody(o.scenario, &f.users[i]))
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
	}
	return wrkScript(cmd.OutOrStdout(), target, bodies)
}

// wrkScript writes a wrk script sending POST / with the AWS JSON target and
// each body in turn. Bodies are JSON (no "]==]" can occur in them), so Lua
// long brackets quote them as they are.
func wrkScript(w io.Writer, target string, bodies [][]byte) error {
	var b strings.Builder
	b.WriteString("-- Made by cognate-load wrk-script. Replays fixed requests round robin.\n")
	fmt.Fprintf(&b, "local headers = {[\"Content-Type\"] = %q, [\"X-Amz-Target\"] = %q}\n", amzJSON, target)
	b.WriteString("local bodies = {\n")
	for _, body := range bodies {
		if strings.Contains(string(body), "]==]") {
			return errors.New("a request body cannot be quoted for Lua")
		}
		fmt.Fprintf(&b, "  [==[%s]==],\n", body)
	}
	b.WriteString(`}
local requests = {}
local next = 0
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  for i, body in ipairs(bodies) do
    requests[i] = wrk.format("POST", "/", headers, body)
  end
  next = id % #requests
end

function request()
  next = next % #requests + 1
  return requests[next]
end
`)
	_, err := io.WriteString(w, b.String())
	return err
}
