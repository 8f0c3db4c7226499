// Standalone simulators: dotnet run --project Bridge.Simulators -- <type> --port N
// Each backend's simulator registers itself in SimulatorCatalog.
using Bridge.Simulators;

return await SimulatorCatalog.RunStandaloneAsync(args).ConfigureAwait(false);
