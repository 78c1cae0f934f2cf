package io.batchgrid.e2e.compat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import com.microsoft.azure.batch.BatchClient;
import com.microsoft.azure.batch.auth.BatchSharedKeyCredentials;
import com.microsoft.azure.serializer.AzureJacksonAdapter;
import com.microsoft.rest.RestClient;
import com.microsoft.rest.ServiceClient;

import io.batchgrid.e2e.ServerProcess;

import okhttp3.OkHttpClient;
import retrofit2.Retrofit;

/** Clients of the official Azure Batch Java SDK 11.2.0 for the packaged server, over HTTP or HTTPS. */
final class Sdk {
  private Sdk() {}

  /** The SDK exactly as an application opens it. */
  static BatchClient client(ServerProcess server) {
    return BatchClient.open(credentials(server.url()));
  }

  static BatchSharedKeyCredentials credentials(String url) {
    return new BatchSharedKeyCredentials(url, ServerProcess.ACCOUNT, ServerProcess.KEY);
  }

  /**
   * The SDK with an HTTP client that trusts the certificates of {@code trustStore} (PKCS12) and no
   * others: how an application reaches a server with a self-signed certificate without changing
   * its JVM's default trust store. The SDK's own response handling (errors as BatchErrorException)
   * is kept by reusing the factory {@link BatchClient#open(com.microsoft.azure.batch.auth.BatchCredentials)} sets up.
   */
  static BatchClient trusting(String url, Path trustStore, String password) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(trustStore)) {
      trust.load(in, password.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    X509TrustManager trustManager = (X509TrustManager) tmf.getTrustManagers()[0];
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, new javax.net.ssl.TrustManager[] {trustManager}, null);
    BatchSharedKeyCredentials credentials = credentials(url);
    RestClient defaults = ((ServiceClient) BatchClient.open(credentials).protocolLayer()).restClient();
    RestClient rest = new RestClient.Builder(new OkHttpClient.Builder().sslSocketFactory(tls.getSocketFactory(), trustManager),
            new Retrofit.Builder())
        .withBaseUrl(url)
        .withCredentials(credentials)
        .withSerializerAdapter(new AzureJacksonAdapter())
        .withResponseBuilderFactory(defaults.responseBuilderFactory())
        .withReadTimeout(60, TimeUnit.SECONDS)
        .build();
    return BatchClient.open(rest, url);
  }
}
