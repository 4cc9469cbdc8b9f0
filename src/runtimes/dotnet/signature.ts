import type { RuntimeSignature } from "../../runtime-kit/detect.js";

/** .NET: the dotnet host, or any apphost / self-contained executable that maps libcoreclr.so. */
export const DOTNET_SIGNATURE: RuntimeSignature = { exe: /^dotnet$/, library: /^libcoreclr\.so$/ };
