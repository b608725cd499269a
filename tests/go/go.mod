module mockingbird.local/sdktests

go 1.24.0

require (
	github.com/mockingbird/mockingbird/clients/go v0.0.0
	github.com/twilio/twilio-go v1.31.0
)

require (
	github.com/beevik/etree v1.1.0 // indirect
	github.com/golang-jwt/jwt/v5 v5.2.2 // indirect
	github.com/golang/mock v1.6.0 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	golang.org/x/net v0.47.0 // indirect
	golang.org/x/sys v0.38.0 // indirect
	golang.org/x/text v0.31.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20251029180050-ab9386a59fda // indirect
	google.golang.org/grpc v1.78.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)

replace github.com/mockingbird/mockingbird/clients/go => ../../clients/go
