// Package devstore mounts the example object store (examples/objectstore)
// beside the broker for `cognate serve --dev --objectstore`. It is its own
// package so that the object store's tests can start a broker (internal/app)
// without an import cycle.
package devstore

import (
	"fmt"
	"io"
	"net/http"

	"github.com/cognate-dev/cognate/examples/objectstore"
	"github.com/cognate-dev/cognate/internal/app"
)

// Handler returns a handler serving the broker and, under
// app.DevObjectStorePath, the example S3-compatible object store with the
// bucket app.DevBucket kept under root. The store authorizes every request
// in process with the broker's own verifier (what POST /v1/authorize uses),
// so the dev roles' policies decide. Close the returned closer when done.
func Handler(a *app.App, root string) (http.Handler, io.Closer, error) {
	store, err := objectstore.New(objectstore.Config{
		Root: root, Buckets: []string{app.DevBucket}, Region: a.Options.Region, Account: a.Options.AccountID,
		Authorizer: a.Broker.Verifier(), PathPrefix: app.DevObjectStorePath, Logger: a.Options.Logger, Now: a.Options.Now,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("object store: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(app.DevObjectStorePath+"/", store)
	mux.Handle("/", a.Handler())
	return mux, store, nil
}
