package main

import (
	"io"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	env := map[string]string{"COGNATE_ADMIN_ACCESS_KEY_ID": "AKID", "COGNATE_ADMIN_SECRET_ACCESS_KEY": "secret"}
	getenv := func(k string) string { return env[k] }
	none := func(string) string { return "" }
	tests := []struct {
		name    string
		args    []string
		getenv  func(string) string
		wantErr string
	}{
		{"defaults", nil, getenv, ""},
		{"local", []string{"--mode", "local", "--root", "/srv/objects", "--bucket", "a-1,b-2"}, getenv, ""},
		{"bad mode", []string{"--mode", "both"}, getenv, "--mode"},
		{"no credentials", nil, none, "COGNATE_ADMIN_ACCESS_KEY_ID"},
		{"stray argument", []string{"serve"}, getenv, "unexpected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parse(tc.args, tc.getenv, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parse = %v; want an error mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.accessKeyID != "AKID" || o.secretAccessKey != "secret" || o.addr != "127.0.0.1:9000" {
				t.Fatalf("options = %+v", o)
			}
		})
	}
}
